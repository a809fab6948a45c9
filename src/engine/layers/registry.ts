import type { ConfigOf } from '../../keras/layer-classes/configs.js';
import { aliasesOf, type KnownClassName } from '../../keras/layer-classes/index.js';
import type { LayerConfig, LayerSpec, ModelDescription, Shape } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { ConfigReader } from './config.js';

/** A tensor of the graph being built: its ONNX name and its Keras shape (batch axis first, `null` if open). */
export interface Sym {
  name: string;
  shape: Shape;
}

/** Everything a layer converter may use to emit its part of the graph. */
export interface LayerContext {
  g: GraphBuilder;
  layer: LayerSpec;
  model: ModelDescription;
  /** The tensors this call of the layer consumes. */
  inputs: Sym[];
  /** Keras masks of those inputs (`[batch, time]` boolean as float 0/1), or null. */
  masks: (Sym | null)[];
  /** Keyword arguments of this call (e.g. `training`, `mask`). */
  kwargs: Record<string, unknown>;
  /** Compiles a nested layer (the one inside Bidirectional or TimeDistributed) on the given inputs. */
  convertNested(layer: LayerSpec, inputs: Sym[], masks: (Sym | null)[]): LayerResult;
}

export interface LayerResult {
  outputs: Sym[];
  /** Masks of the outputs; when omitted, the first input's mask is propagated as Keras does for most layers. */
  masks?: (Sym | null)[];
}

/** What a converter of a class with the stored config type `C` receives: the context and its config reader. */
export interface TypedLayerContext<C extends object> extends LayerContext {
  /** The layer's config, read with checks and typed by its class (`ConfigOf<'Dense'>`). */
  config: ConfigReader<C>;
}

export type LayerConverter<C extends object = LayerConfig> = (ctx: TypedLayerContext<C>) => LayerResult;

/** What a converter understands of a call beyond its input tensors (anything else is refused, never dropped). */
export interface CallSupport {
  /** Keyword arguments the converter reads itself (`training` and `mask` are judged by the compiler). */
  kwargs?: readonly string[];
  /**
   * Keyword arguments (among `kwargs`) that may hold tensors (a tensor, or a list of tensors and nulls): the
   * compiler appends their tensors to `inputs`/`masks` after the positional ones, in this order (see
   * `keyword-inputs.ts`).
   */
  tensorKwargs?: readonly string[];
  /** The layer is the identity at inference (dropout, augmentation): `inspect` says so. */
  identityAtInference?: boolean;
}

export interface RegisteredConverter {
  convert: (ctx: LayerContext) => LayerResult;
  kwargs: ReadonlySet<string>;
  tensorKwargs: readonly string[];
  identityAtInference: boolean;
}

const converters = new Map<string, RegisteredConverter>();

/**
 * Registers a converter under one or more Keras class names (next to its implementation, as tfjs-layers does),
 * and under their aliases. The names are checked by the compiler, and the converter's `config` is typed by
 * them (`ConfigOf<N>`).
 */
export function registerLayer<N extends KnownClassName>(
  classNames: N | readonly N[],
  converter: LayerConverter<ConfigOf<N>>,
  support: CallSupport = {},
): void {
  const entry: RegisteredConverter = {
    convert: (ctx) => converter({ ...ctx, config: new ConfigReader<ConfigOf<N>>(ctx.layer) }),
    kwargs: new Set([...(support.kwargs ?? []), ...(support.tensorKwargs ?? [])]),
    tensorKwargs: support.tensorKwargs ?? [],
    identityAtInference: support.identityAtInference ?? false,
  };
  const names: readonly N[] = typeof classNames === 'string' ? [classNames] : classNames;
  for (const name of names) for (const n of [name, ...aliasesOf(name)]) converters.set(n, entry);
}

export function converterFor(className: string): RegisteredConverter | undefined {
  return converters.get(className);
}

export function supportedLayerClasses(): string[] {
  return [...converters.keys()].sort();
}
