/** Convolution layers (`keras/src/layers/convolutional/`). */
import type { LayerConfig, WeightTensor } from '../model.js';
import {
  type BaseLayerConfig,
  type DataFormat,
  describeWeight,
  flag,
  type IntOrTuple,
  type KernelBiasConfig,
  kernelAndBias,
  type LayerFamilyTable,
  type StoredObject,
} from './descriptor.js';
import { keras1Conv1D, keras1Conv2D, keras1Conv3D } from './keras1-renames.js';

/** Conv1D/2D/3D: a kernel of rank + 2 axes ending in `filters`, and a bias of that size. */
function convShapes(
  [kernel, bias]: readonly WeightTensor[],
  config: LayerConfig,
  className: string,
): string | null {
  if (!kernel) return null;
  const rank = Number(/^Conv([123])D$/.exec(className)?.[1]) + 2;
  const filters = typeof config.filters === 'number' ? config.filters : null;
  if (kernel.shape.length !== rank || (filters !== null && kernel.shape[rank - 1] !== filters)) {
    return `kernel ${describeWeight(kernel)} does not fit ${className}(filters=${filters}): rank ${rank} expected`;
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== kernel.shape[rank - 1])) {
    return `bias ${describeWeight(bias)} does not fit kernel [${kernel.shape}]`;
  }
  return null;
}

/** `[depthwise_kernel, pointwise_kernel, bias?]`. */
const separableKernels = (config: LayerConfig): number => 2 + flag(config.use_bias);

/** What every convolution stores about its window (`keras/src/layers/convolutional/base_conv.py`). */
export interface ConvWindowConfig {
  kernel_size?: IntOrTuple;
  strides?: IntOrTuple;
  padding?: 'valid' | 'same' | 'causal';
  data_format?: DataFormat;
  dilation_rate?: IntOrTuple;
}

/** Conv1D/2D/3D. */
export interface ConvConfig extends BaseLayerConfig, KernelBiasConfig, ConvWindowConfig {
  filters?: number;
  groups?: number;
}

/** Conv1D/2D/3DTranspose. */
export interface ConvTransposeConfig extends ConvConfig {
  output_padding?: IntOrTuple | null;
}

/** DepthwiseConv1D/2D: one kernel per input channel and multiplier. */
export interface DepthwiseConvConfig extends BaseLayerConfig, KernelBiasConfig, ConvWindowConfig {
  depth_multiplier?: number;
  depthwise_initializer?: StoredObject;
}

/** SeparableConv1D/2D: a depthwise kernel, then a pointwise one to `filters`. */
export interface SeparableConvConfig extends DepthwiseConvConfig {
  filters?: number;
  pointwise_initializer?: StoredObject;
}

export const CONVOLUTION_FAMILY = {
  Conv1D: {
    weights: kernelAndBias,
    weightShapes: convShapes,
    keras1: { names: ['Convolution1D', 'AtrousConvolution1D'], convert: keras1Conv1D },
  },
  Conv2D: {
    weights: kernelAndBias,
    weightShapes: convShapes,
    keras1: { names: ['Convolution2D', 'AtrousConvolution2D'], convert: keras1Conv2D },
  },
  Conv3D: {
    weights: kernelAndBias,
    weightShapes: convShapes,
    keras1: { names: ['Convolution3D'], convert: keras1Conv3D },
  },
  Conv1DTranspose: { aliases: ['Convolution1DTranspose'], weights: kernelAndBias },
  Conv2DTranspose: {
    aliases: ['Convolution2DTranspose'],
    weights: kernelAndBias,
    keras1: { names: ['Deconvolution2D'], convert: keras1Conv2D },
  },
  Conv3DTranspose: { aliases: ['Convolution3DTranspose'], weights: kernelAndBias },
  SeparableConv1D: { aliases: ['SeparableConvolution1D'], weights: separableKernels },
  SeparableConv2D: {
    aliases: ['SeparableConvolution2D'],
    weights: separableKernels,
    keras1: { names: ['SeparableConvolution2D'], convert: keras1Conv2D },
  },
  DepthwiseConv1D: { weights: kernelAndBias },
  DepthwiseConv2D: { weights: kernelAndBias },
  LocallyConnected1D: { weights: kernelAndBias },
  LocallyConnected2D: { weights: kernelAndBias },
} satisfies LayerFamilyTable;
