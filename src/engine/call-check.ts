import type { InboundNode, LayerSpec } from '../keras/model.js';
import { EngineError } from '../util/errors.js';
import type { RegisteredConverter, Sym } from './layers/registry.js';

/**
 * Layers whose result depends on Keras' training flag: called with `training=True` they would compute
 * something else (dropout, batch statistics, noise) in `model.predict`, so such a call is refused.
 */
const TRAINING_SENSITIVE =
  /^(Dropout|SpatialDropout[123]D|GaussianDropout|GaussianNoise|AlphaDropout|BatchNormalization|Random\w+)$/;

const isTensorRef = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && typeof (v as { layer?: unknown }).layer === 'string';

/** Whether stored positional arguments hold anything but tensors (and lists of tensors). */
function holdsConstant(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsConstant);
  return !isTensorRef(value);
}

const shortJson = (value: unknown): string => {
  const text = JSON.stringify(value, (_k, v) => (isTensorRef(v) ? `<tensor ${v.layer}>` : v)) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function refuse(layer: LayerSpec, what: string): never {
  throw new EngineError('ENGINE_UNSUPPORTED', `layer ${layer.name} (${layer.className}): ${what}`);
}

/**
 * Refuses a layer call whose stored arguments the converter would not use: a constant positional argument,
 * an unknown keyword, `training=True` on a layer it changes (tf.keras honours it; Keras 3 overrides it), or an
 * explicit mask where Keras propagates none.
 * Anything the engine does not understand is refused, never dropped (a dropped `+ 3.0` is a wrong number).
 */
export function checkLayerCall(
  layer: LayerSpec,
  converter: RegisteredConverter,
  node: InboundNode,
  masks: (Sym | null)[],
  kerasMajor = 2,
): void {
  if (node.args?.some(holdsConstant)) {
    refuse(layer, `positional call arguments ${shortJson(node.args)} are not understood`);
  }
  for (const [key, value] of Object.entries(node.kwargs)) {
    if (converter.kwargs.has(key) || value === undefined || value === null) continue;
    if (key === 'training') {
      // Keras 3 functional models pass predict's training=False to every layer call, overriding the
      // recorded value (keras/src/models/functional.py `operation_fn`); image augmentation layers record
      // their signature's default training=True.
      if (value === false || kerasMajor >= 3 || !TRAINING_SENSITIVE.test(layer.className)) continue;
      refuse(
        layer,
        `called with training=${shortJson(value)}: Keras would run it in training mode in predict`,
      );
    }
    if (key === 'mask' && masks.some((m) => m !== null)) continue;
    refuse(layer, `call argument ${key}=${shortJson(value)} is not understood`);
  }
}
