/**
 * The helper thread of a split-batch engine (`./index.ts`): its own onnxruntime session on the same model runs
 * the second half of each batch while the engine's thread runs the first.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { sizeOf } from '../../keras/tensor-ops.js';
import { errorMessage } from '../../util/errors.js';
import ort from '../ort.js';
import { sessionOptions } from '../session-options.js';
import { CTL, type HelperSetup, type PortMessage, readDims, spinWhile, writeDims } from './protocol.js';

const setup = workerData as HelperSetup;
const control = new Int32Array(setup.control);
const port = setup.port;
const post = (message: PortMessage) => port.postMessage(message);

/**
 * How long an idle helper spins for the next request before it sleeps: long enough for back-to-back batches
 * (the next arrives within tens of µs), short enough not to take a core from a job that parses between batches.
 */
const SPIN_MS = 0.1;

async function serve(session: ort.InferenceSession): Promise<void> {
  let input: Float32Array<ArrayBufferLike> = new Float32Array(0);
  let output = new Float32Array(new SharedArrayBuffer(0));
  // One private copy per input, kept from batch to batch (a new one each time cost a garbage collection's work).
  const copies: Float32Array[] = [];
  let seen = 0;
  for (;;) {
    if (!spinWhile(control, CTL.request, seen, SPIN_MS)) Atomics.wait(control, CTL.request, seen);
    seen = Atomics.load(control, CTL.request);
    if (seen < 0) return;
    let status = 0;
    try {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        input = new Float32Array((m.message as { buffer: SharedArrayBuffer }).buffer);
      }
      const dims = readDims(control, CTL.inputDims);
      const feeds: Record<string, ort.Tensor> = {};
      let at = 0;
      dims.forEach((d, i) => {
        const n = sizeOf(d);
        // onnxruntime-node refuses a tensor over shared memory: a copy (half a batch) goes in.
        if (copies[i]?.length !== n) copies[i] = new Float32Array(n);
        copies[i].set(input.subarray(at, at + n));
        feeds[session.inputNames[i]] = new ort.Tensor('float32', copies[i], d);
        at += n;
      });
      const results = await session.run(feeds);
      const outs = session.outputNames.map((name) => results[name]);
      const total = outs.reduce((n, t) => n + t.data.length, 0);
      if (total > output.length) {
        output = new Float32Array(new SharedArrayBuffer(total * 2 * 4));
        post({ buffer: output.buffer as SharedArrayBuffer });
      }
      let to = 0;
      for (const t of outs) {
        output.set(t.data as Float32Array, to);
        to += t.data.length;
      }
      if (
        !writeDims(
          control,
          CTL.outputDims,
          outs.map((t) => t.dims.map(Number)),
        )
      ) {
        throw new Error('the outputs have too many axes to hand back');
      }
    } catch (error) {
      post({ error: errorMessage(error) });
      status = 1;
    }
    Atomics.store(control, CTL.status, status);
    Atomics.store(control, CTL.done, seen);
    Atomics.notify(control, CTL.done);
  }
}

try {
  const session = await ort.InferenceSession.create(setup.model, sessionOptions(setup.intraOpThreads));
  Atomics.store(control, CTL.ready, 1);
  Atomics.notify(control, CTL.ready);
  await serve(session);
  await session.release();
} catch (error) {
  post({ error: errorMessage(error) });
  Atomics.store(control, CTL.ready, 2);
  Atomics.notify(control, CTL.ready);
}
port.close();
