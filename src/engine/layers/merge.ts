import type { ElementwiseMergeConfig } from '../../keras/layer-classes/merging.js';
import type { Shape } from '../../keras/model.js';
import { einsum } from '../onnx/einsum.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { unsupported } from './config.js';
import { normalizeAxis } from './layout.js';
import { l2Normalize } from './normalization.js';
import { registerLayer, type Sym, type TypedLayerContext } from './registry.js';

/**
 * Merge layers (keras/src/layers/merging/*.py). Elementwise merges first bring inputs to the same rank by
 * inserting axes right after the batch axis (`base_merge.py`), then broadcast size-1 axes.
 */

/** Keras' broadcast of one axis across merge inputs; null when open and not decidable. */
function broadcastDim(layerDims: (number | null)[]): number | null {
  const known = layerDims.filter((d): d is number => d !== null && d !== 1);
  if (known.length > 0) return known[0];
  if (layerDims.some((d) => d === null)) return null;
  return 1;
}

/** Brings every input to the highest rank by adding size-1 axes at position 1, as `_Merge.call` does. */
function equalizeRanks(g: GraphBuilder, inputs: Sym[]): Sym[] {
  const maxRank = Math.max(...inputs.map((x) => x.shape.length));
  return inputs.map((x) => {
    const missing = maxRank - x.shape.length;
    if (missing === 0) return x;
    const axes = Array.from({ length: missing }, (_, i) => i + 1);
    const name = g.op('Unsqueeze', [x.name, g.constInt64('axes', axes)]);
    return { name, shape: [x.shape[0], ...Array(missing).fill(1), ...x.shape.slice(1)] };
  });
}

/**
 * The mask of an elementwise merge: Keras 3 ORs the masks when every input has one (else none);
 * tf_keras ANDs the masks that exist (base_merge.py `compute_mask`). Masks are float 0/1.
 */
function mergeMask(g: GraphBuilder, masks: (Sym | null)[], kerasMajor: number): Sym | null {
  const present = masks.filter((m): m is Sym => m !== null);
  if (present.length === 0) return null;
  if (kerasMajor >= 3) {
    if (present.length !== masks.length) return null;
    return present.length === 1
      ? present[0]
      : {
          name: g.op(
            'Max',
            present.map((m) => m.name),
          ),
          shape: present[0].shape,
        };
  }
  return present.length === 1
    ? present[0]
    : {
        name: g.op(
          'Min',
          present.map((m) => m.name),
        ),
        shape: present[0].shape,
      };
}

type Merge = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

function elementwise(kind: Merge) {
  return ({ g, layer, inputs, masks, model }: TypedLayerContext<ElementwiseMergeConfig>) => {
    if (inputs.length < 1 || (kind === 'subtract' && inputs.length !== 2)) {
      unsupported(layer, `${inputs.length} inputs`);
    }
    const xs = equalizeRanks(g, inputs);
    const rank = xs[0].shape.length;
    const shape: Shape = Array.from({ length: rank }, (_, i) => broadcastDim(xs.map((x) => x.shape[i])));
    for (const x of xs) {
      x.shape.forEach((d, i) => {
        const out = shape[i];
        if (i > 0 && d !== null && d !== 1 && out !== null && d !== out) {
          unsupported(layer, `merging shapes ${inputs.map((t) => `[${t.shape}]`).join(' and ')}`);
        }
      });
    }
    const names = xs.map((x) => x.name);
    let name: string;
    if (names.length === 1) name = g.op('Identity', names);
    else if (kind === 'add') name = g.op('Sum', names);
    else if (kind === 'average')
      name = g.op('Div', [g.op('Sum', names), g.constFloat('count', [], [names.length])]);
    else if (kind === 'maximum') name = g.op('Max', names);
    else if (kind === 'minimum') name = g.op('Min', names);
    else if (kind === 'subtract') name = g.op('Sub', names);
    else name = names.slice(1).reduce((acc, n) => g.op('Mul', [acc, n]), names[0]);
    return { outputs: [{ name, shape }], masks: [mergeMask(g, masks, model.kerasMajor)] };
  };
}

registerLayer('Add', elementwise('add'));
registerLayer('Subtract', elementwise('subtract'));
registerLayer('Multiply', elementwise('multiply'));
registerLayer('Average', elementwise('average'));
registerLayer('Maximum', elementwise('maximum'));
registerLayer('Minimum', elementwise('minimum'));

/** Ones shaped like a `[batch, time]` mask of input `x` (rank 3), for inputs without a mask. */
function onesMask(g: GraphBuilder, x: Sym): string {
  const shape = g.op('Slice', [
    g.op('Shape', [x.name]),
    g.constInt64('starts', [0]),
    g.constInt64('ends', [2]),
  ]);
  return g.op('Expand', [g.constFloat('one', [], [1]), shape]);
}

/**
 * Concatenate along `axis` (keras/src/layers/merging/concatenate.py). With masks on rank-3 inputs, the
 * output mask follows Keras: along the time axis the masks are concatenated; along the feature axis they
 * combine per step (Keras 3 `any`, tf_keras `all`, unmasked inputs counting as all-true).
 */
registerLayer('Concatenate', ({ g, layer, inputs, masks, model, config }) => {
  const rank = inputs[0].shape.length;
  if (inputs.some((x) => x.shape.length !== rank)) unsupported(layer, 'inputs of different ranks');
  const axis = normalizeAxis(config.number('axis', -1), rank);
  if (axis <= 0 || axis >= rank) unsupported(layer, `axis ${axis} on rank ${rank}`);
  const shape: Shape = inputs[0].shape.map((_, i) => {
    const dims = inputs.map((x) => x.shape[i]);
    if (i === axis)
      return dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a + b, 0);
    return dims.find((d) => d !== null) ?? null;
  });
  const name = g.op(
    'Concat',
    inputs.map((x) => x.name),
    { axis: { i: axis } },
  );
  let mask: Sym | null = null;
  if (masks.some((m) => m !== null)) {
    if (rank !== 3 || masks.some((m) => m !== null && m.shape.length !== 2)) {
      unsupported(layer, 'masks on inputs other than [batch, time, features]');
    }
    const parts = inputs.map((x, i) => masks[i]?.name ?? onesMask(g, x));
    if (axis === 1) {
      mask = { name: g.op('Concat', parts, { axis: { i: 1 } }), shape: [shape[0], shape[1]] };
    } else {
      const combined = g.op(model.kerasMajor >= 3 ? 'Max' : 'Min', parts);
      mask = { name: combined, shape: [shape[0], shape[1]] };
    }
  }
  return { outputs: [{ name, shape }], masks: [mask] };
});

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Dot: `batch_dot(x1, x2, axes)` (keras/src/layers/merging/dot.py) as an Einsum that keeps the batch axis,
 * contracts one axis of each input and lists the remaining axes of x1 then x2; a rank-1 result gets a trailing
 * axis (`(batch, 1)`). `normalize=True` L2-normalizes each input along its axis first.
 */
registerLayer('Dot', ({ g, layer, inputs, model, config: cfg }) => {
  if (inputs.length !== 2) unsupported(layer, `${inputs.length} inputs`);
  const [a, b] = inputs;
  const raw = cfg.raw('axes');
  const pair = typeof raw === 'number' ? [raw, raw] : Array.isArray(raw) && raw.length === 2 ? raw : null;
  if (!pair?.every((v) => typeof v === 'number' && Number.isInteger(v))) {
    unsupported(layer, `axes ${JSON.stringify(raw)}`);
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  // Keras takes a negative axis modulo the rank
  const axA = (((pair[0] as number) % ra) + ra) % ra;
  const axB = (((pair[1] as number) % rb) + rb) % rb;
  if (axA === 0 || axB === 0 || ra < 2 || rb < 2) unsupported(layer, `axes ${JSON.stringify(raw)}`);
  const da = a.shape[axA];
  const db = b.shape[axB];
  if (da !== null && db !== null && da !== db) unsupported(layer, `dot of sizes ${da} and ${db}`);
  let x1 = a.name;
  let x2 = b.name;
  if (cfg.bool('normalize', false)) {
    const cap = model.kerasMajor >= 3 ? 1e7 : 1e6;
    x1 = l2Normalize(g, x1, [axA], cap);
    x2 = l2Normalize(g, x2, [axB], cap);
  }
  if (ra + rb - 1 > LETTERS.length) unsupported(layer, 'inputs of this rank');
  const lettersA = LETTERS.slice(0, ra).split('');
  const lettersB = ['a', ...LETTERS.slice(ra, ra + rb - 1).split('')];
  lettersB[axB] = lettersA[axA];
  const outLetters = [
    ...lettersA.filter((_, i) => i !== axA),
    ...lettersB.filter((_, i) => i !== 0 && i !== axB),
  ];
  const equation = `${lettersA.join('')},${lettersB.join('')}->${outLetters.join('')}`;
  let name = einsum(g, equation, { name: x1, shape: a.shape }, { name: x2, shape: b.shape });
  let shape: Shape = [
    ...a.shape.filter((_, i) => i !== axA),
    ...b.shape.filter((_, i) => i !== 0 && i !== axB),
  ];
  if (shape.length === 1) {
    name = g.op('Unsqueeze', [name, g.constInt64('axes', [1])]);
    shape = [shape[0], 1];
  }
  return { outputs: [{ name, shape }], masks: [null] };
});
