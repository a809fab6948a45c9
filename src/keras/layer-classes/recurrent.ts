/** Recurrent layers (`keras/src/layers/rnn/`, tf.keras' CuDNN layers). */
import type { LayerConfig, WeightTensor } from '../model.js';
import { describeWeight, type LayerFamilyTable, recurrentKernels } from './descriptor.js';
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
