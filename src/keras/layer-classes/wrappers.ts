/** Wrappers: their config holds an inner `layer` (and Bidirectional an optional `backward_layer`). */

import { isObject } from '../json.js';
import type { LayerConfig } from '../model.js';
import type { BaseLayerConfig, LayerFamilyTable } from './descriptor.js';

/** A wrapped layer as stored: its class and config (read with checks, a stored config being untrusted). */
export interface WrappedLayerConfig {
  class_name?: string;
  config?: LayerConfig;
  module?: string | null;
  registered_name?: string | null;
}

export interface BidirectionalConfig extends BaseLayerConfig {
  layer?: WrappedLayerConfig;
  backward_layer?: WrappedLayerConfig | null;
  /** `concat`, `sum`, `mul`, `ave`, or null for two outputs. */
  merge_mode?: string | null;
}

export interface TimeDistributedConfig extends BaseLayerConfig {
  layer?: WrappedLayerConfig;
}

/** The class and config of a wrapper's inner layer stored under `key`, or null. */
export function innerLayer(
  config: LayerConfig,
  key: 'layer' | 'backward_layer',
): { className: string; config: LayerConfig } | null {
  const v = config[key];
  if (!isObject(v) || typeof v.class_name !== 'string') return null;
  return { className: v.class_name, config: isObject(v.config) ? v.config : {} };
}

export const WRAPPER_FAMILY = {
  Bidirectional: {
    // the forward layer's weights, then the backward layer's
    weights: (config, countOf) => {
      const forward = innerLayer(config, 'layer');
      const backward = innerLayer(config, 'backward_layer') ?? forward;
      if (!forward || !backward) return null;
      const nf = countOf(forward.className, forward.config);
      const nb = countOf(backward.className, backward.config);
      return nf === null || nb === null ? null : nf + nb;
    },
  },
  TimeDistributed: {
    weights: (config, countOf) => {
      const inner = innerLayer(config, 'layer');
      return inner ? countOf(inner.className, inner.config) : null;
    },
  },
} satisfies LayerFamilyTable;
