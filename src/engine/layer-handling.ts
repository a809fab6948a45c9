import { isOpClass, type ModelDescription } from '../keras/model.js';
import { unusedLayers } from './compile.js';
import { converterFor } from './layers/registry.js';
import { onnxBackend } from './onnx-backend.js';
import { planStringInputs } from './text/string-inputs.js';

/** What the engine does with one layer (or recorded op) of a model. */
export type LayerHandling =
  | { kind: 'input' }
  /** Compiled to ONNX operators. */
  | { kind: 'onnx' }
  /** A layer run in TypeScript on model inputs (StringLookup, TextVectorization, Hashing, HashedCrossing). */
  | { kind: 'host' }
  /** Training-only: passes its input through at inference (dropout, augmentation, StochasticDepth). */
  | { kind: 'identity' }
  /** Not compiled: no model output depends on it (e.g. a recorded op that computes a mask). */
  | { kind: 'unused'; reason: string }
  | { kind: 'refused'; reason: string };

/** One line of text for a handling (`inspect`'s table). */
export function handlingText(h: LayerHandling): string {
  switch (h.kind) {
    case 'input':
      return 'input';
    case 'onnx':
      return 'onnx';
    case 'host':
      return 'host (TypeScript, on a model input)';
    case 'identity':
      return 'identity at inference';
    case 'unused':
      return `not compiled (${h.reason})`;
    case 'refused':
      return `refused: ${h.reason}`;
  }
}

/**
 * Per layer of `model` (in `model.layers` order), what the engine does with it. Every layer the ONNX backend lacks a converter for is
 * refused at once; `compileError` (a config value or call a converter refused while compiling, which stops at
 * the first) is put on the layer it names.
 */
export function layerHandling(model: ModelDescription, compileError: string | null): LayerHandling[] {
  const names = new Set(model.layers.map((l) => l.name));
  const refused = new Map<string, string>();
  for (const m of onnxBackend.unsupported(model)) {
    // A wrapper's inner layer is reported as `outer/inner`.
    const name = names.has(m.layer) ? m.layer : m.layer.slice(0, Math.max(0, m.layer.lastIndexOf('/')));
    if (!refused.has(name)) refused.set(name, `${m.reason}${name === m.layer ? '' : ` (${m.className})`}`);
  }
  if (compileError) {
    const layer = model.layers.find((l) => compileError.includes(`layer ${l.name} (`));
    const prefix = layer ? `[engine] layer ${layer.name} (${layer.className}): ` : '';
    const reason = compileError.startsWith(prefix) ? compileError.slice(prefix.length) : compileError;
    if (layer && !refused.has(layer.name)) refused.set(layer.name, reason);
  }
  let hosted = new Set<string>();
  try {
    const compiled = planStringInputs(model).compiled;
    const original = new Map(model.layers.map((l) => [l.name, l.className]));
    hosted = new Set(
      compiled.layers
        .filter((l) => l.className === 'InputLayer' && original.get(l.name) !== 'InputLayer')
        .map((l) => l.name),
    );
  } catch {
    // a string input the engine cannot take: already among the refusals above
  }
  const unused = unusedLayers(model);
  return model.layers.map((layer): LayerHandling => {
    const reason = refused.get(layer.name);
    if (reason !== undefined) return { kind: 'refused', reason };
    if (layer.className === 'InputLayer') return { kind: 'input' };
    if (hosted.has(layer.name)) return { kind: 'host' };
    if (unused.has(layer.name))
      return {
        kind: 'unused',
        reason: isOpClass(layer.className)
          ? 'no output depends on it: computes a mask the engine propagates itself'
          : 'no output depends on it',
      };
    if (converterFor(layer.className)?.identityAtInference) return { kind: 'identity' };
    return { kind: 'onnx' };
  });
}
