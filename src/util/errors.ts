/**
 * Every error the product raises carries a stable `code` and a `[part]` prefix in its message,
 * so users, logs and the API can tell what failed and where without parsing prose.
 */
export class KerasBatchError extends Error {
  readonly code: string;
  readonly part: string;
  /** Whether retrying the same operation could succeed (a transient I/O fault) or never will (bad model, bad input). */
  readonly retryable: boolean;

  constructor(
    part: string,
    code: string,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(`[${part}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.part = part;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A model file that cannot be read or is not supported. Never retryable. */
export class ModelLoadError extends KerasBatchError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super('keras', code, message, options);
  }
}

/** A model that loads but cannot be compiled or run by the engine. */
export class EngineError extends KerasBatchError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super('engine', code, message, options);
  }
}

/** An input record that does not fit the model (shape, type, JSON). */
export class InputError extends KerasBatchError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super('scoring', code, message, options);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A typed error's code, else `fallback`. */
export function errorCode(error: unknown, fallback = 'ERROR'): string {
  return error instanceof KerasBatchError ? error.code : fallback;
}
