import type { LayerSpec, Shape } from '../../keras/model.js';
import type { InputTensor, Tensor } from '../types.js';

/**
 * A layer run on the host on model inputs (strings, or numbers hashed as strings): its output becomes an input
 * of the compiled graph.
 */
export interface HostLayer {
  readonly layer: LayerSpec;
  /** The model inputs it reads, in the order of its call. */
  readonly inputs: readonly string[];
  outputShape(inputs: Shape[]): Shape;
  /** The given tensors of its inputs (batch first, row-major); returns the layer's float32 output. */
  run(inputs: InputTensor[]): Tensor;
}
