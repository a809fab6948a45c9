import type { LayerConfig, LayerSpec } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';

/** The keys of a typed config (any key for an untyped `LayerConfig`). */
export type ConfigKey<C> = string extends keyof C ? string : keyof C & string;

/** The keys of a typed config whose values are of type `T` (any key for an untyped `LayerConfig`). */
export type ConfigKeyOf<C, T> = string extends keyof C
  ? string
  : { [K in keyof C & string]-?: NonNullable<C[K]> extends T ? K : never }[keyof C & string];

/**
 * Typed readers for a layer's Keras config. Each throws an EngineError naming the layer when a value has
 * the wrong type, so a malformed config never turns into a silent wrong answer. `C` is the class' stored config
 * type (`ConfigOf<'Dense'>`): reading a key it does not have, or as a type it does not hold, is a compile error.
 */
export class ConfigReader<C extends object = LayerConfig> {
  constructor(private readonly layer: LayerSpec) {}

  private fail(key: string, expected: string): never {
    throw new EngineError(
      'ENGINE_BAD_CONFIG',
      `layer ${this.layer.name} (${this.layer.className}): config "${key}" should be ${expected}, got ${JSON.stringify(this.layer.config[key])}`,
    );
  }

  has(key: ConfigKey<C>): boolean {
    return this.layer.config[key] !== undefined && this.layer.config[key] !== null;
  }

  number(key: ConfigKeyOf<C, number>, fallback?: number): number {
    const v = this.layer.config[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(key, 'a number');
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a number');
    return v;
  }

  optionalNumber(key: ConfigKeyOf<C, number>): number | null {
    const v = this.layer.config[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a number or null');
    return v;
  }

  bool(key: ConfigKeyOf<C, boolean>, fallback: boolean): boolean {
    const v = this.layer.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'a boolean');
    return v;
  }

  string(key: ConfigKeyOf<C, string>, fallback?: string): string {
    return this.stringAt(key, fallback);
  }

  private stringAt(key: string, fallback?: string): string {
    const v = this.layer.config[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(key, 'a string');
      return fallback;
    }
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  /** An int or a tuple of ints, expanded to `rank` values (Keras accepts `3` for `(3, 3)`). */
  tuple(key: ConfigKeyOf<C, number | readonly number[]>, rank: number, fallback?: number[]): number[] {
    const v = this.layer.config[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(key, `an int or ${rank} ints`);
      return fallback;
    }
    if (typeof v === 'number' && Number.isInteger(v)) return Array(rank).fill(v);
    if (
      Array.isArray(v) &&
      v.length === rank &&
      v.every((x) => typeof x === 'number' && Number.isInteger(x))
    ) {
      return v as number[];
    }
    if (Array.isArray(v) && v.length === 1 && rank > 1 && typeof v[0] === 'number')
      return Array(rank).fill(v[0]);
    this.fail(key, `an int or ${rank} ints`);
  }

  /** `channels_last` (default) or `channels_first`. */
  channelsFirst(): boolean {
    const v = this.stringAt('data_format', 'channels_last');
    if (v !== 'channels_last' && v !== 'channels_first')
      this.fail('data_format', 'channels_last or channels_first');
    return v === 'channels_first';
  }

  raw(key: ConfigKey<C>): unknown {
    return this.layer.config[key];
  }
}

/** Throws a clear error when a layer does not carry the weights its converter needs. */
export function requireWeights(layer: LayerSpec, count: number): void {
  if (layer.weights.length < count) {
    throw new EngineError(
      'ENGINE_MISSING_WEIGHTS',
      `layer ${layer.name} (${layer.className}) has ${layer.weights.length} weight arrays, expected ${count}`,
    );
  }
}

export function unsupported(layer: LayerSpec, what: string): never {
  throw new EngineError(
    'ENGINE_UNSUPPORTED',
    `layer ${layer.name} (${layer.className}): ${what} is not supported`,
  );
}
