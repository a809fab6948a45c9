import type { ModelDescription, Shape } from '../keras/model.js';

/** A dense float32 tensor, row-major, with concrete dimensions (batch first). */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

/** String records of a string model input (`Input(dtype="string")`), row-major, batch first. */
export interface StringTensor {
  strings: string[];
  dims: number[];
}

/** What a model input takes: numbers, or strings for a string input. */
export type InputTensor = Tensor | StringTensor;

export const isStringTensor = (t: InputTensor): t is StringTensor => 'strings' in t;

/** Shape and name of one model input or output as the engine exposes it. */
export interface TensorSpec {
  name: string;
  /** Batch axis first, `null` for open axes (the batch axis is always open). */
  shape: Shape;
  /** `string` for a string input (records are JSON strings); numbers otherwise. */
  dtype?: 'string';
}

export interface EngineOptions {
  /** Threads for one batch (onnxruntime intra-op threads, or a small model's split batches). Default: all cores. */
  threads?: number;
}

export interface PredictOptions {
  /** The caller will not touch the inputs' numbers again: an engine in another thread may move them, not copy. */
  handOver?: boolean;
}

/**
 * A compiled, ready-to-run model. `predict` takes one tensor per model input (in `inputs` order, all
 * with the same batch size; strings for a string input) and returns one tensor per model output, as
 * Keras' `model.predict` would.
 */
export interface Engine {
  readonly backend: string;
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** Each layer's output shapes (its first call), as the compiler computed them, for `inspect` and uploads. */
  readonly layerShapes: ReadonlyMap<string, Shape[]>;
  predict(inputs: InputTensor[], options?: PredictOptions): Promise<Tensor[]>;
  dispose(): Promise<void>;
}

/** A way to run a model description. Backends register by name with a priority (as onnxruntime-common does). */
export interface Backend {
  readonly name: string;
  /** Layers this backend cannot compile, by layer name with the reason; empty when it covers the model. */
  unsupported(model: ModelDescription): { layer: string; className: string; reason: string }[];
  create(model: ModelDescription, options: EngineOptions): Promise<Engine>;
}
