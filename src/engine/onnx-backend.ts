import os from 'node:os';
import type { ModelDescription, Shape } from '../keras/model.js';
import { EngineError, errorMessage } from '../util/errors.js';
import { type CompiledModel, compileToOnnx, unsupportedLayers } from './compile.js';
import ort from './ort.js';
import { sessionOptions } from './session-options.js';
import { BatchSplitter, MIN_SPLIT_MS } from './split-batch/index.js';
import { planStringInputs, type StringInputPlan } from './text/string-inputs.js';
import type { Backend, Engine, EngineOptions, InputTensor, Tensor, TensorSpec } from './types.js';

/**
 * Compiled models up to this size split batches: the helper's session holds a second copy of the weights.
 * Larger models (VGG16: 528 MiB) are made of large ops, which onnxruntime's own threads split well.
 */
export const SPLIT_MAX_MODEL_BYTES = 256 * 1024 * 1024;

/**
 * Whether an engine runs batches as two halves on two sessions (`split-batch/`), with the least work a batch
 * must hold to be split, or (null) one session on all its threads. With 2 threads or more every model up to
 * `SPLIT_MAX_MODEL_BYTES` splits: onnxruntime hands each op to its intra-op threads and waits for them, a cost
 * as large as a small op, so models of many small ops (transformers, recurrent networks, DenseNet121,
 * EfficientNetB0) gain far more from two halves than from a second intra-op thread, and models of large ops
 * (ResNet50) the same either way. `KERAS_BATCH_SPLIT=0` turns splitting off, `=1` on for any model.
 */
export function batchSplitting(modelBytes: number, threads: number): { minSplitMs: number } | null {
  const forced = process.env.KERAS_BATCH_SPLIT;
  if (threads < 2 || forced === '0') return null;
  // Forced on, every batch of two records or more is split, however little it holds.
  if (forced === '1') return { minSplitMs: 0 };
  return modelBytes <= SPLIT_MAX_MODEL_BYTES ? { minSplitMs: MIN_SPLIT_MS } : null;
}

class OnnxEngine implements Engine {
  readonly backend = 'onnxruntime';

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly splitter: BatchSplitter | null,
    private readonly inputNames: string[],
    private readonly outputNames: string[],
    private readonly plan: StringInputPlan,
    readonly inputs: TensorSpec[],
    readonly outputs: TensorSpec[],
    readonly layerShapes: ReadonlyMap<string, Shape[]>,
  ) {}

  async predict(given: InputTensor[]): Promise<Tensor[]> {
    if (given.length !== this.inputs.length) {
      throw new EngineError(
        'ENGINE_BAD_INPUT',
        `the model takes ${this.inputs.length} inputs, got ${given.length}`,
      );
    }
    const inputs = this.plan.feeds(given);
    return this.splitter ? this.splitter.run(inputs, (part) => this.run(part)) : this.run(inputs);
  }

  private async run(inputs: Tensor[]): Promise<Tensor[]> {
    const feeds: Record<string, ort.Tensor> = {};
    inputs.forEach((t, i) => {
      feeds[this.inputNames[i]] = new ort.Tensor('float32', t.data, t.dims);
    });
    const results = await this.session.run(feeds);
    return this.outputNames.map((name) => {
      const out = results[name];
      return { data: out.data as Float32Array, dims: out.dims.map(Number) };
    });
  }

  async dispose(): Promise<void> {
    await this.splitter?.dispose();
    await this.session.release();
  }
}

/**
 * Compiles a model as the engine runs it: string layers on string inputs split off to the host, the rest to
 * ONNX. `layerShapes` covers every layer, the string inputs included.
 */
export function compileModel(model: ModelDescription): CompiledModel & { plan: StringInputPlan } {
  const plan = planStringInputs(model);
  const compiled = compileToOnnx(plan.compiled);
  for (const input of model.inputs) {
    if (!compiled.layerShapes.has(input.name)) compiled.layerShapes.set(input.name, [input.shape]);
  }
  return { ...compiled, plan };
}

/** The fast path: compile to ONNX in memory and run it on onnxruntime's CPU execution provider. */
export const onnxBackend: Backend = {
  name: 'onnxruntime',
  unsupported(model) {
    let plan: StringInputPlan;
    try {
      plan = planStringInputs(model);
    } catch (error) {
      const message = errorMessage(error);
      const layer = model.layers.find((l) => message.includes(`layer ${l.name} (`));
      // The reason alone: the list names the layer (`[engine] layer x (Class): what` -> `what`).
      const prefix = layer ? `[engine] layer ${layer.name} (${layer.className}): ` : '';
      const reason = prefix && message.startsWith(prefix) ? message.slice(prefix.length) : message;
      return [{ layer: layer?.name ?? 'input', className: layer?.className ?? 'string', reason }];
    }
    return unsupportedLayers(plan.compiled);
  },
  async create(model: ModelDescription, options: EngineOptions): Promise<Engine> {
    const { plan, ...compiled } = compileModel(model);
    const threads = options.threads ?? Math.max(1, os.availableParallelism());
    const split = batchSplitting(compiled.bytes.length, threads);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(
        compiled.bytes,
        sessionOptions(split ? Math.ceil(threads / 2) : threads),
      );
    } catch (error) {
      throw new EngineError(
        'ENGINE_SESSION_FAILED',
        `onnxruntime could not load the compiled model: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    const splitter = split
      ? new BatchSplitter(compiled.bytes, Math.floor(threads / 2), split.minSplitMs)
      : null;
    const outputs = model.outputs.map((output, i) => ({
      name: output.name,
      shape: compiled.outputShapes[i],
    }));
    return new OnnxEngine(
      session,
      splitter,
      compiled.inputNames,
      compiled.outputNames,
      plan,
      plan.inputs,
      outputs,
      compiled.layerShapes,
    );
  },
};
