/** Recurrent layers (`keras/src/layers/rnn/`, tf.keras' CuDNN layers). */
import type { LayerConfig, WeightTensor } from '../model.js';
import type { ConvWindowConfig } from './convolution.js';
import {
  type BaseLayerConfig,
  describeWeight,
  type KernelBiasConfig,
  type LayerFamilyTable,
  recurrentKernels,
  type StoredObject,
} from './descriptor.js';
import { keras1UnitsAndRecurrent } from './keras1-renames.js';

/** `kernel [in, gates * units]` and `recurrent_kernel [units, gates * units]`. */
function gateShapes(gates: number) {
  return (weights: readonly WeightTensor[], config: LayerConfig, className: string): string | null => {
    const units = typeof config.units === 'number' ? config.units : null;
    if (units === null || weights.length < 2) return null;
    const [kernel, recurrent] = weights;
    const width = gates * units;
    if (kernel.shape.length !== 2 || kernel.shape[1] !== width) {
      return `kernel ${describeWeight(kernel)} does not fit ${className}(units=${units}): expected [in, ${width}]`;
    }
    if (recurrent.shape.length !== 2 || recurrent.shape[0] !== units || recurrent.shape[1] !== width) {
      return `recurrent kernel ${describeWeight(recurrent)} does not fit [${units}, ${width}]`;
    }
    return null;
  };
}

/** What every recurrent layer stores about its sequence (`keras/src/layers/rnn/rnn.py`). */
export interface SequenceConfig {
  return_sequences?: boolean;
  return_state?: boolean;
  go_backwards?: boolean;
  stateful?: boolean;
  unroll?: boolean;
  time_major?: boolean;
  zero_output_for_mask?: boolean;
}

/** SimpleRNN, GRU, LSTM and the CuDNN layers. */
export interface RecurrentConfig extends BaseLayerConfig, KernelBiasConfig, SequenceConfig {
  units?: number;
  recurrent_activation?: string;
  recurrent_initializer?: StoredObject;
  recurrent_regularizer?: StoredObject;
  recurrent_constraint?: StoredObject;
  dropout?: number;
  recurrent_dropout?: number;
  /** LSTM. */
  unit_forget_bias?: boolean;
  /** GRU: separate input and recurrent biases (ONNX `linear_before_reset`). */
  reset_after?: boolean;
  implementation?: number;
}

/** The generic `RNN(cell)`: the cell is a stored layer entry. */
export interface RNNConfig extends BaseLayerConfig, SequenceConfig {
  cell?: { class_name?: string; config?: Record<string, unknown> } | null;
}

/** ConvLSTM1D/2D/3D. */
export interface ConvLSTMConfig extends RecurrentConfig, ConvWindowConfig {
  filters?: number;
}

export const RECURRENT_FAMILY = {
  RNN: { weights: null },
  SimpleRNN: {
    weights: recurrentKernels,
    weightShapes: gateShapes(1),
    keras1: { convert: keras1UnitsAndRecurrent },
  },
  GRU: {
    weights: recurrentKernels,
    weightShapes: gateShapes(3),
    keras1: { convert: keras1UnitsAndRecurrent },
  },
  LSTM: {
    weights: recurrentKernels,
    weightShapes: gateShapes(4),
    keras1: {
      convert: (config) => {
        keras1UnitsAndRecurrent(config);
        if (Object.hasOwn(config, 'forget_bias_init')) {
          config.unit_forget_bias = config.forget_bias_init === 'one';
          delete config.forget_bias_init;
        }
      },
    },
  },
  SimpleRNNCell: { weights: null },
  GRUCell: { weights: null },
  LSTMCell: { weights: null },
  StackedRNNCells: { weights: null },
  ConvLSTM1D: { weights: recurrentKernels },
  ConvLSTM2D: { weights: recurrentKernels },
  ConvLSTM3D: { weights: recurrentKernels },
  // inputs and recurrent biases stored as one vector
  CuDNNGRU: { weights: 3, weightShapes: gateShapes(3) },
  CuDNNLSTM: { weights: 3, weightShapes: gateShapes(4) },
} satisfies LayerFamilyTable;
