/**
 * The intermediate, still-nested form of a model between parsing the config and flattening it into a
 * {@link ModelDescription}: nested Sequential/Functional models stay as `model` on their layer.
 */
import type { InboundNode, LayerConfig, TensorRef, WeightTensor } from './model.js';

/** One layer of a (possibly nested) model, before flattening. */
export interface RawLayer {
  name: string;
  className: string;
  config: LayerConfig;
  inbound: InboundNode[];
  weights: WeightTensor[];
  /** For a nested model used as a layer: its parsed graph. */
  model: RawModel | null;
  /** True for an InputLayer the reader synthesized for a Sequential model without one. */
  synthesized?: boolean;
}

/** A parsed model: layers in config order, input and output tensors. */
export interface RawModel {
  name: string;
  className: string;
  layers: RawLayer[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}
