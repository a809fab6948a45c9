import type { BaseLayerConfig, LayerFamilyTable } from './descriptor.js';

/** Add, Subtract, Multiply, Average, Maximum, Minimum: nothing beyond the base keys. */
export type ElementwiseMergeConfig = BaseLayerConfig;

export interface ConcatenateConfig extends BaseLayerConfig {
  axis?: number;
}

export interface DotConfig extends BaseLayerConfig {
  axes?: number | number[];
  normalize?: boolean;
}

/** Merging layers: no weights. */
export const MERGING_FAMILY = {
  Add: { weights: 0 },
  Subtract: { weights: 0 },
  Multiply: { weights: 0 },
  Average: { weights: 0 },
  Maximum: { weights: 0 },
  Minimum: { weights: 0 },
  // TFDConcat: what FeatureSpace(output_mode='concat') saves, a Concatenate on its `axis`
  Concatenate: { aliases: ['TFDConcat'], weights: 0 },
  Dot: { weights: 0 },
} satisfies LayerFamilyTable;
