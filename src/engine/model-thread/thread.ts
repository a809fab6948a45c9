/**
 * A model thread: reads one model file, normalizes and compiles it, and then runs it, for `./index.ts`. The
 * heavy work (unzipping, HDF5, building the ONNX graph, creating the onnxruntime session) happens here, off
 * the server's event loop; the weights stay here too (the description sent back carries only their shapes).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../../keras/index.js';
import { ModelLoadError } from '../../util/errors.js';
import { useLimits as applyLimits } from '../../util/limits.js';
import { createEngine } from '../index.js';
import { type OpenModel, openModelBytes } from '../open-model.js';
import {
  type FromThread,
  handedBuffers,
  type ModelSource,
  sendError,
  type ThreadSetup,
  type ToThread,
} from './protocol.js';

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

/**
 * Runs this thread (and the inference threads onnxruntime starts from it) below the event loop's priority, on
 * Linux (a thread is a task of its own there): a heavy load or scoring burst yields the cores to the thread
 * that answers requests. `KERAS_BATCH_MODEL_NICE` sets how much lower (default 5; 0 keeps the process's).
 * Elsewhere, or if not allowed, nothing changes.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const nice = Number(process.env.KERAS_BATCH_MODEL_NICE ?? 5);
    if (tid > 0 && Number.isInteger(nice) && nice > 0) setPriority(tid, Math.min(nice, 19));
  } catch {
    // not Linux, or not allowed: the thread keeps the process's priority
  }
}

/** sha256 and size of a file, read as a stream. */
async function hashFile(path: string): Promise<{ sha256: Hash; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    throw new ModelLoadError(
      'KERAS_FILE_UNREADABLE',
      `model file ${setup.name} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    );
  }
  return { sha256: hash, size };
}

/**
 * Opens the model. A file is handed to the loader by path (it reads the header first, so a file that is no
 * model is refused without being read whole) and hashed as a stream; bytes are opened as they are.
 */
async function open(): Promise<OpenModel & { size: number }> {
  applyLimits(setup.limits);
  lowerPriority();
  const architecture = setup.architecture ? await bytesOf(setup.architecture, 'architecture') : undefined;
  if ('bytes' in setup.model) {
    const { bytes } = setup.model;
    const model = await openModelBytes(bytes, { architecture, name: setup.name, threads: setup.threads });
    return { ...model, size: bytes.byteLength + (architecture?.byteLength ?? 0) };
  }
  const started = performance.now();
  const description = await loadModel(setup.model.path, { architecture, name: setup.name });
  const hashed = await hashFile(setup.model.path);
  if (architecture) hashed.sha256.update(architecture);
  const engine = await createEngine(description, { threads: setup.threads });
  return {
    description,
    engine,
    sha256: hashed.sha256.digest('hex'),
    size: hashed.size + (architecture?.byteLength ?? 0),
    loadMs: performance.now() - started,
  };
}

async function report(): Promise<OpenModel> {
  const model = await open();
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
    size: model.size,
    backend: engine.backend,
    inputs: engine.inputs,
    outputs: engine.outputs,
    layerShapes: new Map(engine.layerShapes),
  });
  return model;
}

report().then(
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
        // Outputs are copied, not transferred: onnxruntime's output buffers may be external memory, which cannot
        // move. Inputs handed over go back for the next batch to fill.
        (outputs) => {
          const spare = message.handOver ? handedBuffers(message.inputs) : [];
          send({ kind: 'result', id: message.id, outputs, spare }, spare);
        },
        (error) => send({ kind: 'predict-failed', id: message.id, error: sendError(error) }),
      );
    });
  },
  (error) => {
    send({ kind: 'failed', error: sendError(error) });
    port.close();
  },
);
