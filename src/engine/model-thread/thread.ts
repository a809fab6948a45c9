/**
 * A model thread: reads one model file, normalizes and compiles it, and then runs it, for `./index.ts`. The
 * heavy work (unzipping, HDF5, building the ONNX graph, creating the onnxruntime session) happens here, off
 * the server's event loop; the weights stay here too (the description sent back carries only their shapes).
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { ModelLoadError } from '../../util/errors.js';
import { useLimits as applyLimits } from '../../util/limits.js';
import { type OpenModel, openModelBytes } from '../open-model.js';
import { type FromThread, type ModelSource, sendError, type ThreadSetup, type ToThread } from './protocol.js';

const setup = workerData as ThreadSetup;
const port = parentPort;
if (!port) throw new Error('model thread: started outside a worker thread');
const send = (message: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function bytesOf(source: ModelSource, what: string): Promise<Uint8Array> {
  if ('bytes' in source) return source.bytes;
  try {
    return new Uint8Array(await readFile(source.path));
  } catch (error) {
    throw new ModelLoadError(
      'KERAS_FILE_UNREADABLE',
      `${what} file ${setup.name} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    );
  }
}

async function open(): Promise<OpenModel> {
  applyLimits(setup.limits);
  const bytes = await bytesOf(setup.model, 'model');
  const architecture = setup.architecture ? await bytesOf(setup.architecture, 'architecture') : undefined;
  const model = await openModelBytes(bytes, { architecture, name: setup.name, threads: setup.threads });
  const { engine, description, sha256 } = model;
  const stripped = {
    ...description,
    layers: description.layers.map((l) => ({
      ...l,
      weights: l.weights.map((w) => ({ name: w.name, shape: w.shape, data: new Float32Array(0) })),
    })),
  };
  send({
    kind: 'opened',
    description: stripped,
    sha256,
    size: bytes.byteLength + (architecture?.byteLength ?? 0),
    backend: engine.backend,
    inputs: engine.inputs,
    outputs: engine.outputs,
    layerShapes: new Map(engine.layerShapes),
  });
  return model;
}

open().then(
  (model) => {
    port.on('message', (message: ToThread) => {
      if (message.kind === 'dispose') {
        void model.engine.dispose().finally(() => {
          send({ kind: 'disposed' });
          port.close();
        });
        return;
      }
      model.engine.predict(message.inputs).then(
        // copied, not transferred: onnxruntime's output buffers may be external memory, which cannot move
        (outputs) => send({ kind: 'result', id: message.id, outputs }),
        (error) => send({ kind: 'predict-failed', id: message.id, error: sendError(error) }),
      );
    });
  },
  (error) => {
    send({ kind: 'failed', error: sendError(error) });
    port.close();
  },
);
