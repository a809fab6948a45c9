import { type ModelSource, openModelInThread } from '../engine/model-thread/index.js';
import type { Engine } from '../engine/types.js';
import { countParams, type ModelDescription } from '../keras/index.js';
import { errorMessage, KerasBatchError } from '../util/errors.js';
import { ServiceError } from './errors.js';
import type { ModelVersionView } from './view-types.js';

/** What an accepted model file yields: its description, a compiled engine and the stored metadata. */
export interface ValidatedModel
  extends Pick<
    ModelVersionView,
    'sha256' | 'size' | 'keras_version' | 'format' | 'inputs' | 'outputs' | 'layers' | 'params'
  > {
  description: ModelDescription;
  engine: Engine;
}

/**
 * Loads and compiles a model file (with its architecture JSON for a weights-only `.h5`) in a model thread of
 * its own (the engine then runs there). A file that does not load or compile in time is refused with the
 * loader's (or engine's) message, as `SERVICE_MODEL_REJECTED`; a budget exceeded keeps its `LIMIT_EXCEEDED`.
 */
export async function validateModel(
  file: ModelSource,
  fileName: string,
  architecture?: ModelSource,
  threads?: number,
): Promise<ValidatedModel> {
  let opened: Awaited<ReturnType<typeof openModelInThread>>;
  try {
    opened = await openModelInThread(file, { architecture, name: fileName, threads });
  } catch (error) {
    const code = error instanceof KerasBatchError ? ` (${error.code})` : '';
    throw new ServiceError(
      'SERVICE_MODEL_REJECTED',
      `the model file was refused${code}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const { description, engine } = opened;
  const shapes = engine.layerShapes;
  const layers = description.layers
    .filter((l) => l.className !== 'InputLayer')
    .map((l) => ({
      name: l.name,
      class_name: l.className,
      output_shapes: shapes.get(l.name) ?? [],
      params: countParams(l),
    }));
  return {
    description,
    engine,
    sha256: opened.sha256,
    size: opened.size,
    keras_version: description.kerasVersion,
    format: description.format,
    inputs: description.inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.dtype })),
    outputs: engine.outputs.map((o, i) => ({ name: description.outputs[i]?.name ?? o.name, shape: o.shape })),
    layers,
    params: layers.reduce((n, l) => n + l.params, 0),
  };
}
