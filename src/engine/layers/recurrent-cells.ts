import type { LayerClassName } from '../../keras/layer-classes/index.js';
import type { RecurrentConfig } from '../../keras/layer-classes/recurrent.js';
import type { LayerSpec, ModelDescription, WeightTensor } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import { activationName } from './activations.js';
import { ConfigReader, requireWeights, unsupported } from './config.js';

/** The ONNX recurrent op a Keras layer maps to. */
export type RnnKind = 'RNN' | 'GRU' | 'LSTM';

/** One ONNX recurrent activation with its optional alpha/beta (ONNX `activation_alpha`/`activation_beta`). */
export interface OnnxActivation {
  name: string;
  alpha?: number;
  beta?: number;
}

/**
 * A Keras recurrent layer reduced to what one direction of an ONNX RNN/GRU/LSTM op needs, with the
 * weights already in ONNX layout (gates stacked on the first axis, ONNX gate order).
 */
export interface CellSpec {
  layer: LayerSpec;
  kind: RnnKind;
  units: number;
  inputDim: number;
  /** ONNX order: RNN `[f]`, GRU `[f, g]`, LSTM `[f, g, h]`. */
  activations: OnnxActivation[];
  /** `[gates * units, inputDim]`. */
  w: Float32Array;
  /** `[gates * units, units]`. */
  r: Float32Array;
  /** `[2 * gates * units]` (input biases then recurrent biases), or null without bias. */
  b: Float32Array | null;
  linearBeforeReset: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  /** Keras `zero_output_for_mask` (Bidirectional forces it to `return_sequences`). */
  zeroOutputForMask: boolean;
}

const RECURRENT_KINDS = {
  SimpleRNN: 'RNN',
  GRU: 'GRU',
  LSTM: 'LSTM',
  CuDNNGRU: 'GRU',
  CuDNNLSTM: 'LSTM',
  RNN: 'RNN',
} as const satisfies Partial<Record<LayerClassName, RnnKind>>;

/** Keras recurrent classes this module converts, with the ONNX op each maps to. */
export const RECURRENT_CLASSES: Readonly<Record<string, RnnKind>> = RECURRENT_KINDS;

/** The names of {@link RECURRENT_CLASSES}, typed. */
export const RECURRENT_CLASS_NAMES = Object.keys(RECURRENT_KINDS) as (keyof typeof RECURRENT_KINDS)[];

/** The cells a generic `RNN(cell)` may hold, with the layer each behaves as. */
const CELL_CLASSES: Readonly<Record<string, LayerClassName>> = {
  SimpleRNNCell: 'SimpleRNN',
  GRUCell: 'GRU',
  LSTMCell: 'LSTM',
} satisfies Partial<Record<LayerClassName, LayerClassName>>;

/**
 * A generic `RNN(cell)` (keras/src/layers/rnn/rnn.py) behaves like the matching layer: the cell config
 * carries units/activations/bias, the RNN config the sequence flags. Other layers are returned as they are.
 */
export function resolveGenericRnn(layer: LayerSpec): LayerSpec {
  if (layer.className !== 'RNN') return layer;
  const cell = layer.config.cell as { class_name?: unknown; config?: Record<string, unknown> } | undefined;
  const className = typeof cell?.class_name === 'string' ? CELL_CLASSES[cell.class_name] : undefined;
  if (!cell || !className) {
    unsupported(
      layer,
      `an RNN with cell ${JSON.stringify((cell as { class_name?: unknown })?.class_name ?? cell)}`,
    );
  }
  const flags = ['return_sequences', 'return_state', 'go_backwards', 'time_major', 'zero_output_for_mask'];
  const config: Record<string, unknown> = { ...(cell.config ?? {}) };
  for (const key of flags) if (layer.config[key] !== undefined) config[key] = layer.config[key];
  return { ...layer, className, config };
}

/** Gate blocks stacked in each ONNX weight matrix. */
export const GATES: Record<RnnKind, number> = { RNN: 1, GRU: 3, LSTM: 4 };

/** Number of states a layer returns with `return_state` (`[h]`, or `[h, c]` for LSTM). */
export function stateCount(kind: RnnKind): number {
  return kind === 'LSTM' ? 2 : 1;
}

/** Maps a Keras activation name to an ONNX recurrent activation (the ops accept only a fixed list). */
function onnxActivation(layer: LayerSpec, name: string, kerasMajor: number): OnnxActivation {
  switch (name) {
    case 'tanh':
      return { name: 'Tanh' };
    case 'sigmoid':
      return { name: 'Sigmoid' };
    case 'relu':
      return { name: 'Relu' };
    case 'linear':
    case 'identity':
      return { name: 'Affine', alpha: 1, beta: 0 };
    case 'softsign':
      return { name: 'Softsign' };
    case 'softplus':
      return { name: 'Softplus' };
    case 'elu':
      return { name: 'Elu', alpha: 1 };
    case 'hard_sigmoid':
      // Keras 2: clip(0.2x + 0.5); Keras 3: relu6(x + 3) / 6 (keras/src/activations/activations.py).
      return { name: 'HardSigmoid', alpha: kerasMajor >= 3 ? 1 / 6 : 0.2, beta: 0.5 };
    default:
      unsupported(layer, `recurrent activation "${name}"`);
  }
}

/** How many weight arrays a recurrent layer with this config has (`[kernel, recurrent_kernel, bias?]`). */
export function recurrentWeightCount(className: string, config: Record<string, unknown>): number {
  if (className === 'CuDNNGRU' || className === 'CuDNNLSTM') return 3;
  if (className === 'RNN') {
    const cell = config.cell as { config?: Record<string, unknown> } | undefined;
    return cell?.config?.use_bias === false ? 2 : 3;
  }
  return config.use_bias === false ? 2 : 3;
}

/** Row-major transpose of a `[rows, cols]` matrix. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i += 1) {
    for (let j = 0; j < cols; j += 1) out[j * rows + i] = data[i * cols + j];
  }
  return out;
}

/** Copies each gate's column block `[:, g*units:(g+1)*units]` of a `[rows, gates*units]` matrix contiguously. */
function gateBlocks(data: Float32Array, rows: number, gates: number, units: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let g = 0; g < gates; g += 1) {
    for (let i = 0; i < rows; i += 1) {
      const src = i * gates * units + g * units;
      out.set(data.subarray(src, src + units), (g * rows + i) * units);
    }
  }
  return out;
}

/** Reorders gate blocks of `blockSize` values: `order[k]` is the Keras gate placed at ONNX position k. */
function reorderGates(data: Float32Array, blockSize: number, order: number[]): Float32Array {
  const out = new Float32Array(data.length);
  order.forEach((src, dst) => {
    out.set(data.subarray(src * blockSize, (src + 1) * blockSize), dst * blockSize);
  });
  return out;
}

function expectShape(layer: LayerSpec, w: WeightTensor, shape: number[]): void {
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
    throw new EngineError(
      'ENGINE_BAD_WEIGHTS',
      `layer ${layer.name} (${layer.className}): weight ${w.name} has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`,
    );
  }
}

/**
 * Reads a SimpleRNN/GRU/LSTM (or CuDNNGRU/CuDNNLSTM) layer into a CellSpec.
 * Keras LSTM gates are i, f, c, o (ONNX: i, o, f, c); GRU gates z, r, h are in ONNX order already
 * (keras/src/layers/rnn/lstm.py, gru.py). `weights` defaults to the layer's own.
 */
export function readCell(
  spec: LayerSpec,
  model: ModelDescription,
  inputDim: number,
  weights: WeightTensor[] = spec.weights,
): CellSpec {
  const layer = resolveGenericRnn(spec);
  const kind = RECURRENT_CLASSES[layer.className];
  if (!kind) unsupported(layer, 'this recurrent layer class');
  const cfg = new ConfigReader<RecurrentConfig>(layer);
  const cudnn = layer.className.startsWith('CuDNN');
  if (cfg.bool('time_major', false)) unsupported(layer, 'time_major=True');
  const units = cfg.number('units');
  const gates = GATES[kind];
  const useBias = cudnn || cfg.bool('use_bias', true);
  requireWeights({ ...layer, weights }, useBias ? 3 : 2);
  const [kernel, recurrent, bias] = weights;
  expectShape(layer, kernel, [inputDim, gates * units]);
  expectShape(layer, recurrent, [units, gates * units]);

  const kerasActivation = cudnn ? 'tanh' : activationName(cfg.raw('activation') ?? 'tanh');
  const kerasRecurrent = cudnn ? 'sigmoid' : activationName(cfg.raw('recurrent_activation') ?? 'sigmoid');
  const act = onnxActivation(layer, kerasActivation, model.kerasMajor);
  const rec = onnxActivation(layer, kerasRecurrent, model.kerasMajor);
  const activations = kind === 'RNN' ? [act] : kind === 'GRU' ? [rec, act] : [rec, act, act];

  // CuDNN layers hand each gate's kernel slice to cuDNN flattened, unchanged, as a [units, in] matrix
  // (tf_keras/src/layers/rnn/cudnn_lstm.py, gru_lstm_utils.canonical_to_params without transpose).
  let w = cudnn
    ? gateBlocks(kernel.data, inputDim, gates, units)
    : transpose(kernel.data, inputDim, gates * units);
  let r = cudnn
    ? gateBlocks(recurrent.data, units, gates, units)
    : transpose(recurrent.data, units, gates * units);
  let b: Float32Array | null = null;
  let linearBeforeReset = false;
  const n = gates * units;
  if (kind === 'GRU') {
    // reset_after=True (the Keras 2.3+/3 default, and CuDNNGRU) keeps separate input/recurrent biases.
    const biasIs2d = bias !== undefined && useBias && (bias.shape.length === 2 || bias.data.length === 2 * n);
    linearBeforeReset = cudnn || (useBias ? biasIs2d : cfg.bool('reset_after', model.kerasMajor >= 3));
    if (cfg.has('reset_after') && !cudnn && cfg.bool('reset_after', false) !== linearBeforeReset) {
      throw new EngineError(
        'ENGINE_BAD_WEIGHTS',
        `layer ${layer.name} (GRU): reset_after=${cfg.bool('reset_after', false)} does not match its bias shape [${bias?.shape.join(', ')}]`,
      );
    }
  }
  if (useBias) {
    b = new Float32Array(2 * n);
    if (bias.data.length === 2 * n && (kind === 'GRU' || cudnn)) {
      b.set(bias.data); // GRU reset_after (2, 3u), CuDNNLSTM (8u): input biases then recurrent biases
    } else if (bias.data.length === n) {
      b.set(bias.data);
    } else {
      expectShape(layer, bias, [n]);
    }
  }
  if (kind === 'LSTM') {
    const order = [0, 3, 1, 2]; // ONNX i, o, f, c from Keras i, f, c, o
    w = reorderGates(w, units * inputDim, order);
    r = reorderGates(r, units * units, order);
    if (b) {
      b.set(reorderGates(b.subarray(0, n), units, order), 0);
      b.set(reorderGates(b.subarray(n), units, order), n);
    }
  }
  return {
    layer,
    kind,
    units,
    inputDim,
    activations,
    w,
    r,
    b,
    linearBeforeReset,
    goBackwards: cfg.bool('go_backwards', false),
    returnSequences: cfg.bool('return_sequences', false),
    returnState: cfg.bool('return_state', false),
    zeroOutputForMask: cfg.bool('zero_output_for_mask', false),
  };
}
