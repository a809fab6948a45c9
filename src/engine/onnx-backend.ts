import os from 'node:os';
import type { ModelDescription, Shape } from '../keras/model.js';
import { EngineError, errorMessage } from '../util/errors.js';
import { type CompiledModel, compileToOnnx, unsupportedLayers } from './compile.js';
import ort from './ort.js';
import { planStringInputs, type StringInputPlan } from './text/string-inputs.js';
import type { Backend, Engine, EngineOptions, InputTensor, Tensor, TensorSpec } from './types.js';

/**
 * How onnxruntime's intra-op threads wait for work (its `session.*` config entries). Waking a sleeping thread
 * costs about as long as a small op on a virtual machine, so with spinning off the second thread gave a
 * transformer or a MobileNet at batch 32 little; unbounded, idle threads spun on between batches and took
 * the cores that read, parse and write files. So an idle thread spins for at most 1 ms, and only while a
 * run lasts: it stops when the run ends. `KERAS_BATCH_ORT_SPIN=0` turns spinning off.
 */
export function spinning(on: boolean): Record<string, unknown> {
  if (!on) return { intra_op: { allow_spinning: '0' } };
  return {
    intra_op: { allow_spinning: '1', spin_duration_us: '1000', spin_backoff_max: '8' },
    force_spinning_stop: '1',
  };
}

class OnnxEngine implements Engine {
  readonly backend = 'onnxruntime';

  constructor(
    private readonly session: ort.InferenceSession,
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
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(compiled.bytes, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // onnxruntime's arena keeps the intermediates of one batch shape for the next run; without it every run
        // mallocs and frees tens of MiB, which glibc's heap fragments into hundreds of MiB of resident memory.
        enableCpuMemArena: process.env.KERAS_BATCH_ORT_ARENA !== '0',
        extra: {
          session: spinning(process.env.KERAS_BATCH_ORT_SPIN !== '0'),
          // onnxruntime's Pad fusion folds a zero Pad into the MaxPool after it, whose pads count as -inf: a
          // ZeroPadding2D before MaxPooling2D (ResNet50V2's stem) then pools without the zeros Keras pools over.
          optimization: { disable_specified_optimizers: 'Pad_Fusion' },
        },
      });
    } catch (error) {
      throw new EngineError(
        'ENGINE_SESSION_FAILED',
        `onnxruntime could not load the compiled model: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    const outputs = model.outputs.map((output, i) => ({
      name: output.name,
      shape: compiled.outputShapes[i],
    }));
    return new OnnxEngine(
      session,
      compiled.inputNames,
      compiled.outputNames,
      plan,
      plan.inputs,
      outputs,
      compiled.layerShapes,
    );
  },
};
