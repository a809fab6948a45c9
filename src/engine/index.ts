import type { ModelDescription } from '../keras/model.js';
import { EngineError } from '../util/errors.js';
import { onnxBackend } from './onnx-backend.js';

export { compileModel } from './onnx-backend.js';

import type { Backend, Engine, EngineOptions } from './types.js';

export { compileToOnnx } from './compile.js';
export { handlingText, type LayerHandling, layerHandling } from './layer-handling.js';
export { supportedLayerClasses } from './layers/registry.js';
export {
  type Backend,
  type Engine,
  type EngineOptions,
  type InputTensor,
  isStringTensor,
  type StringTensor,
  type Tensor,
  type TensorSpec,
} from './types.js';

/** Backends in priority order: the first that covers every layer of a model runs it. */
const backends: Backend[] = [onnxBackend];

/** Registers another backend (e.g. a fallback for layers the ONNX compiler lacks) after the built-in ones. */
export function registerBackend(backend: Backend): void {
  backends.push(backend);
}

/** Which backend would run this model, and what each backend lacks. */
export function planBackend(model: ModelDescription): {
  backend: Backend | null;
  gaps: Record<string, string[]>;
} {
  const gaps: Record<string, string[]> = {};
  for (const backend of backends) {
    const missing = backend.unsupported(model);
    if (missing.length === 0) return { backend, gaps };
    gaps[backend.name] = missing.map((m) => `${m.layer} (${m.className}): ${m.reason}`);
  }
  return { backend: null, gaps };
}

/** Compiles a model on the best backend that covers it; the error names what every backend lacked. */
export async function createEngine(model: ModelDescription, options: EngineOptions = {}): Promise<Engine> {
  const { backend, gaps } = planBackend(model);
  if (!backend) {
    const detail = Object.entries(gaps)
      .map(([name, layers]) => `${name} cannot run ${layers.join('; ')}`)
      .join('; ');
    throw new EngineError('ENGINE_UNSUPPORTED', `no backend can run model ${model.name}: ${detail}`);
  }
  return backend.create(model, options);
}
