import type { LayerFamilyTable } from './descriptor.js';

/** Merging layers: no weights. */
export const MERGING_FAMILY = {
  Add: { weights: 0 },
  Subtract: { weights: 0 },
  Multiply: { weights: 0 },
  Average: { weights: 0 },
  Maximum: { weights: 0 },
  Minimum: { weights: 0 },
  Concatenate: { weights: 0 },
  Dot: { weights: 0 },
} satisfies LayerFamilyTable;
