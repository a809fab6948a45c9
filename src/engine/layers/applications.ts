import { requireWeights, unsupported } from './config.js';
import { type LayerContext, registerLayer, type Sym } from './registry.js';

/**
 * Layer classes that `keras.applications` define themselves (Keras 3.15 `keras/src/applications/convnext.py`
 * and `inception_resnet_v2.py`; tf-keras 2.21 the same): none of them computes or propagates a mask, so a masked
 * input is refused.
 */
function refuseMasks({ layer, masks }: LayerContext): void {
  if (masks.some((m) => m !== null)) unsupported(layer, 'a masked input');
}

/** ConvNeXt `LayerScale.call`: `x * gamma`, gamma a `[projection_dim]` vector broadcast on the last axis. */
registerLayer('applications.LayerScale', (ctx) => {
  const { g, layer, inputs, config } = ctx;
  refuseMasks(ctx);
  requireWeights(layer, 1);
  const dim = config.number('projection_dim');
  const gamma = layer.weights[0];
  const x = inputs[0];
  const last = x.shape[x.shape.length - 1];
  if (gamma.shape.length !== 1 || gamma.shape[0] !== dim || x.shape.length < 2 || last !== dim) {
    unsupported(layer, `scaling a [${x.shape}] input by a [${gamma.shape}] gamma`);
  }
  const y = g.op('Mul', [x.name, g.constFloat(`${layer.name}_gamma`, gamma.shape, gamma.data)]);
  return { outputs: [{ name: y, shape: x.shape }] };
});

/**
 * ConvNeXt `StochasticDepth.call(x, training=None)`: drops whole samples only `if training`, else returns `x`;
 * a call stored with `training=True` would drop paths in `predict`, and is refused.
 */
registerLayer(
  'applications.StochasticDepth',
  (ctx) => {
    const { layer, inputs, kwargs, config } = ctx;
    refuseMasks(ctx);
    const rate = config.number('drop_path_rate');
    const training = kwargs.training;
    if (training !== undefined && training !== null && training !== false && rate !== 0) {
      unsupported(layer, `a call with training=${JSON.stringify(training)}`);
    }
    return { outputs: [inputs[0]] };
  },
  { kwargs: ['training'], identityAtInference: true },
);

/** InceptionResNetV2 `CustomScaleLayer.call([x, r])`: `x + r * scale` on two tensors of one shape. */
registerLayer('applications.CustomScaleLayer', (ctx) => {
  const { g, layer, inputs, config } = ctx;
  refuseMasks(ctx);
  const scale = config.number('scale');
  if (inputs.length !== 2) unsupported(layer, `${inputs.length} inputs (2 expected)`);
  const [x, r]: Sym[] = inputs;
  // Same rank and stored dims: ONNX Add broadcasts open dims at run time exactly as Keras' `+` does.
  const same = x.shape.length === r.shape.length && x.shape.every((d, i) => i === 0 || d === r.shape[i]);
  if (!same) unsupported(layer, `inputs of shapes [${x.shape}] and [${r.shape}]`);
  const scaled = g.op('Mul', [r.name, g.constFloat(`${layer.name}_scale`, [], [scale])]);
  return { outputs: [{ name: g.op('Add', [x.name, scaled]), shape: x.shape }] };
});
