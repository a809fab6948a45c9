/**
 * Layer classes that `keras.applications` define in their own modules (not in `keras.layers`) and save inside
 * the models they build: ConvNeXt's `LayerScale` and `StochasticDepth`, InceptionResNetV2's `CustomScaleLayer`
 * (Keras 3.15 `keras/src/applications/{convnext,inception_resnet_v2}.py`, tf-keras 2.21 the same under
 * `tf_keras/src/applications`). They are Keras' own, not custom: the engine names them `applications.<Class>`.
 *
 * A `.keras` config names their module (`keras.src.applications.convnext`); an `.h5` config has only the class
 * name (tf-keras registers `CustomScaleLayer` as `Custom>CustomScaleLayer`), so there the config must also hold
 * exactly the keys of that class' `get_config()` (`params`, plus the base `name`, `trainable`, `dtype`).
 */
import { type BaseLayerConfig, describeWeight, type LayerClassInfo } from './descriptor.js';

/** ConvNeXt `LayerScale`: gamma starts at `init_values`, a `[projection_dim]` vector. */
export interface LayerScaleConfig extends BaseLayerConfig {
  init_values?: number;
  projection_dim?: number;
}

/** ConvNeXt `StochasticDepth`. */
export interface StochasticDepthConfig extends BaseLayerConfig {
  drop_path_rate?: number;
}

/** InceptionResNetV2 `CustomScaleLayer`. */
export interface CustomScaleLayerConfig extends BaseLayerConfig {
  scale?: number;
}

export interface ApplicationClassInfo extends LayerClassInfo {
  /** The module under `keras.applications` that defines the class. */
  readonly module: string;
  /** The class names the files store. */
  readonly storedNames: readonly string[];
  /** The keys of the class' own `get_config()`. */
  readonly params: readonly string[];
}

export const APPLICATIONS_FAMILY = {
  'applications.LayerScale': {
    module: 'convnext',
    storedNames: ['LayerScale'],
    params: ['init_values', 'projection_dim'],
    weights: 1,
    weightShapes: (weights, config) => {
      if (weights.length !== 1) return null;
      const dim = config.projection_dim;
      const gamma = weights[0];
      return gamma.shape.length !== 1 || (typeof dim === 'number' && gamma.shape[0] !== dim)
        ? `gamma ${describeWeight(gamma)} is not a [${String(dim)}] vector`
        : null;
    },
  },
  'applications.StochasticDepth': {
    module: 'convnext',
    storedNames: ['StochasticDepth'],
    params: ['drop_path_rate'],
    weights: 0,
  },
  'applications.CustomScaleLayer': {
    module: 'inception_resnet_v2',
    storedNames: ['CustomScaleLayer', 'Custom>CustomScaleLayer'],
    params: ['scale'],
    weights: 0,
  },
} satisfies Readonly<Record<string, ApplicationClassInfo>>;
