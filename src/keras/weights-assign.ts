/**
 * Assign weight lists read from a file to the layers of a parsed model, splitting the single list a
 * legacy HDF5 file keeps for a nested model among that model's inner layers.
 */
import { KerasErrorCode, layerError } from './errors.js';
import type { WeightTensor } from './model.js';
import type { RawLayer, RawModel } from './raw-model.js';
import { expectedWeightCount } from './weights-check.js';

/** Expected weight count of a raw layer (recursing into nested models), or null when unknown. */
export function rawExpectedCount(layer: RawLayer): number | null {
  if (layer.model) {
    let total = 0;
    for (const l of layer.model.layers) {
      const n = rawExpectedCount(l);
      if (n === null) return null;
      total += n;
    }
    return total;
  }
  return expectedWeightCount(layer.className, layer.config);
}

function baseName(name: string): string[] {
  return name.replace(/:\d+$/, '').split('/');
}

/** Split a nested model's weight list among its inner layers: by name first, then by expected counts. */
export function assignNested(outer: RawLayer, model: RawModel, weights: WeightTensor[]): void {
  const inner = model.layers.filter((l) => l.className !== 'InputLayer');
  const names = new Set(inner.map((l) => l.name));
  const byLayer = new Map<string, WeightTensor[]>();
  let allMatched = true;
  for (const w of weights) {
    const hit = baseName(w.name).find((part) => names.has(part));
    if (!hit) {
      allMatched = false;
      break;
    }
    const list = byLayer.get(hit) ?? [];
    list.push(w);
    byLayer.set(hit, list);
  }
  if (allMatched) {
    const fits = inner.every((l) => {
      const n = rawExpectedCount(l);
      return n === null || n === (byLayer.get(l.name)?.length ?? 0);
    });
    if (fits) {
      for (const l of inner) setWeights(l, byLayer.get(l.name) ?? []);
      return;
    }
  }
  let offset = 0;
  for (const l of inner) {
    const n = rawExpectedCount(l);
    if (n === null) {
      throw layerError(
        KerasErrorCode.WeightMismatch,
        outer.name,
        outer.className,
        `cannot tell which of the nested model's weights belong to inner layer '${l.name}' (${l.className})`,
      );
    }
    setWeights(l, weights.slice(offset, offset + n));
    offset += n;
  }
  if (offset !== weights.length) {
    throw layerError(
      KerasErrorCode.WeightMismatch,
      outer.name,
      outer.className,
      `the file has ${weights.length} weight(s) for this nested model, its layers expect ${offset}`,
    );
  }
}

/** Give a raw layer its weights (splitting among inner layers for a nested model). */
export function setWeights(layer: RawLayer, weights: WeightTensor[]): void {
  if (layer.model) assignNested(layer, layer.model, weights);
  else layer.weights = weights;
}

/**
 * Assign per-layer weight lists (keyed by the file's layer names, in the file's order) to the model's
 * top-level layers: by name when every layer that needs weights is found, else in order as Keras'
 * `load_weights` does (layers with weights, in order).
 */
export function assignByLayer(
  model: RawModel,
  file: { names: string[]; weights: Map<string, WeightTensor[]> },
): void {
  const layers = model.layers.filter((l) => !l.synthesized);
  const needs = (l: RawLayer): boolean => {
    const n = rawExpectedCount(l);
    return n === null ? (file.weights.get(l.name)?.length ?? 0) > 0 : n > 0;
  };
  const byName = layers.every((l) => !needs(l) || file.weights.has(l.name));
  if (byName) {
    const names = new Set(layers.map((l) => l.name));
    const extra = file.names.find((n) => !names.has(n) && (file.weights.get(n)?.length ?? 0) > 0);
    if (extra !== undefined) {
      throw layerError(
        KerasErrorCode.WeightMismatch,
        extra,
        '?',
        'the file holds weights for this layer, which the architecture does not have',
      );
    }
    for (const l of layers) setWeights(l, file.weights.get(l.name) ?? []);
    return;
  }
  const fileLayers = file.names.filter((n) => (file.weights.get(n)?.length ?? 0) > 0);
  const modelLayers = layers.filter(needs);
  if (fileLayers.length !== modelLayers.length) {
    const missing = modelLayers.find((l) => !file.weights.has(l.name)) ?? modelLayers[0];
    throw layerError(
      KerasErrorCode.WeightMismatch,
      missing?.name ?? '?',
      missing?.className ?? '?',
      `the file holds weights for ${fileLayers.length} layer(s) but the architecture has ${modelLayers.length} layer(s) with weights`,
    );
  }
  for (const [i, l] of modelLayers.entries()) setWeights(l, file.weights.get(fileLayers[i]) ?? []);
}
