import type { TensorRef } from '../../keras/model.js';
import { unsupported } from './config.js';
import type { LayerContext } from './registry.js';

const refKey = (r: TensorRef) => `${r.layer}:${r.nodeIndex}:${r.tensorIndex}`;

/** Layers that read the Keras masks of their inputs at run time (none recorded as a `mask=` argument). */
const RUNTIME_MASK_READERS = new Set([
  'MultiHeadAttention',
  'GroupedQueryAttention',
  'Attention',
  'AdditiveAttention',
  'keras_hub.TransformerEncoder',
]);

function refsIn(value: unknown): TensorRef[] {
  if (typeof value === 'object' && value !== null && typeof (value as TensorRef).layer === 'string')
    return [value as TensorRef];
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(refsIn);
  return [];
}

/**
 * Keras 3's `MultiHeadAttention.call` clears, at run time, the Keras mask of its query/value/key tensors
 * (`backend.set_keras_mask(query, None)`). Layers that get their mask as a recorded `mask=` argument do not
 * notice (the functional config records the mask computed while the model was built), but attention layers
 * read the run-time masks of their inputs: one that reads a masked input of this call, directly or through other
 * layers, sees its mask or not depending on the order Keras runs them, so such a model is refused.
 * `masked` flags query, value and key.
 */
export function refuseClearedMaskHazards(
  ctx: Pick<LayerContext, 'layer' | 'model'>,
  masked: boolean[],
): void {
  const { layer, model } = ctx;
  const roles = ['query', 'value', 'key'];
  const mine = new Set(
    layer.inbound.flatMap((n) =>
      roles
        .map((role, i) => (masked[i] ? (n.inputs[i] ?? refsIn(n.kwargs[role])[0]) : undefined))
        .filter((r): r is TensorRef => r !== undefined)
        .map(refKey),
    ),
  );
  const readers = model.layers.filter(
    (l) =>
      l.name !== layer.name &&
      l.inbound.some((n) => [...n.inputs, ...refsIn(n.kwargs)].some((r) => mine.has(refKey(r)))),
  );
  // Everything computed from those readers (the config lists layers in topological order).
  const downstream = new Set(readers.map((l) => l.name));
  for (const l of model.layers) {
    if (l.inbound.some((n) => [...n.inputs, ...refsIn(n.kwargs)].some((r) => downstream.has(r.layer))))
      downstream.add(l.name);
  }
  const hazard =
    layer.inbound.length > 1
      ? layer
      : model.layers.find((l) => downstream.has(l.name) && RUNTIME_MASK_READERS.has(l.className));
  if (hazard) {
    unsupported(
      layer,
      `a masked input that ${hazard.name} (${hazard.className}) also reads, directly or through other layers (Keras 3 clears that mask here at run time, so what ${hazard.name} sees depends on the order Keras runs them)`,
    );
  }
}
