import { describe, expect, it } from 'vitest';
import { compileToOnnx } from '../../src/engine/compile.js';
import { splitCallInputs } from '../../src/engine/layers/keyword-inputs.js';
import type { ModelDescription } from '../../src/keras/model.js';
import { checkLayerWeights } from '../../src/keras/weights-check.js';
import { at, build, expectTensor, random, runLayer, singleLayerModel, weight } from './layer-harness.js';

const mhaWeights = (e: number, heads: number, dim: number, bias = true) => {
  const w = [
    weight('query/kernel', random([e, heads, dim], 1)),
    weight('query/bias', random([heads, dim], 2)),
    weight('key/kernel', random([e, heads, dim], 3)),
    weight('key/bias', random([heads, dim], 4)),
    weight('value/kernel', random([e, heads, dim], 5)),
    weight('value/bias', random([heads, dim], 6)),
    weight('attention_output/kernel', random([heads, dim, e], 7)),
    weight('attention_output/bias', random([e], 8)),
  ];
  return bias ? w : w.filter((_, i) => i % 2 === 0);
};

describe('EinsumDense', () => {
  const x = random([2, 3, 4], 11);
  const kernel = random([4, 5], 12);
  const bias = random([5], 13);

  it('computes einsum(equation, x, kernel) + bias', async () => {
    const y = await runLayer(
      {
        className: 'EinsumDense',
        config: { equation: 'abc,cd->abd', output_shape: [null, 5], bias_axes: 'd' },
        weights: [weight('kernel', kernel), weight('bias', bias)],
      },
      [x],
    );
    expectTensor(
      y,
      build([2, 3, 5], ([a, b, d]) => {
        let s = bias.data[d];
        for (let c = 0; c < 4; c += 1) s += at(x, [a, b, c]) * at(kernel, [c, d]);
        return s;
      }),
    );
  });

  it('takes a saved LoRA layer as its merged kernel and refuses separate LoRA factors', async () => {
    const config = { equation: 'abc,cd->abd', output_shape: [null, 5], bias_axes: 'd', lora_rank: 2 };
    await runLayer(
      { className: 'EinsumDense', config, weights: [weight('kernel', kernel), weight('bias', bias)] },
      [x],
    );
    const unmerged = [
      weight('kernel', kernel),
      weight('bias', bias),
      weight('lora_kernel_a', random([4, 2], 14)),
      weight('lora_kernel_b', random([2, 5], 15)),
    ];
    expect(() =>
      compileToOnnx(
        singleLayerModel({ className: 'EinsumDense', config, weights: unmerged }, [[null, 3, 4]]),
      ),
    ).toThrow(/LoRA/);
  });

  it('refuses an equation form Keras does not accept', () => {
    const model = singleLayerModel(
      {
        className: 'EinsumDense',
        config: { equation: 'abc,cd->abd,x', output_shape: [5] },
        weights: [weight('kernel', kernel)],
      },
      [[null, 3, 4]],
    );
    expect(() => compileToOnnx(model)).toThrow(/einsum equation/);
  });
});

describe('MultiHeadAttention', () => {
  const base = { num_heads: 2, key_dim: 3, value_dim: 3, use_bias: true, attention_axes: [1] };

  it('refuses a sliding_window that is not a positive integer, and use_gate without the gate weights', () => {
    for (const extra of [{ use_gate: true }, { sliding_window: 0 }]) {
      const model = singleLayerModel(
        { className: 'MultiHeadAttention', config: { ...base, ...extra }, weights: mhaWeights(4, 2, 3) },
        [
          [null, 5, 4],
          [null, 5, 4],
        ],
      );
      expect(() => compileToOnnx(model)).toThrow(/weight|sliding_window/);
    }
  });

  it('refuses, in Keras 3, a masked input that another attention layer also reads (Keras clears that mask)', () => {
    const model = singleLayerModel(
      { className: 'MultiHeadAttention', config: base, weights: mhaWeights(4, 2, 3) },
      [[null, 5, 4]],
      { maskInput0: true, kerasVersion: '3.15.1' },
    );
    const node = model.layers[model.layers.length - 1].inbound[0];
    node.inputs = [node.inputs[0], node.inputs[0]];
    const dense = {
      name: 'dense',
      className: 'Dense',
      config: { units: 4 },
      inbound: [{ inputs: [node.inputs[0]], kwargs: {} }],
      weights: [weight('k', random([4, 4], 9)), weight('b', random([4], 10))],
    };
    model.layers.push(dense);
    model.outputs.push({ name: 'dense', ref: { layer: 'dense', nodeIndex: 0, tensorIndex: 0 } });
    expect(() => compileToOnnx(model)).not.toThrow(); // a Dense reader is fine: it does not read masks
    const dref = { layer: 'dense', nodeIndex: 0, tensorIndex: 0 };
    model.layers.push({
      name: 'mha2',
      className: 'MultiHeadAttention',
      config: base,
      inbound: [{ inputs: [dref, dref], kwargs: {} }],
      weights: mhaWeights(4, 2, 3),
    });
    model.outputs.push({ name: 'mha2', ref: { layer: 'mha2', nodeIndex: 0, tensorIndex: 0 } });
    expect(() => compileToOnnx(model)).toThrow(/mha2 \(MultiHeadAttention\) also reads/);
  });

  it('refuses masks with Keras 3 before 3.10 (fully masked rows were computed differently)', () => {
    const model = singleLayerModel(
      { className: 'MultiHeadAttention', config: base, weights: mhaWeights(4, 2, 3) },
      [[null, 5, 4]],
      { maskInput0: true, kerasVersion: '3.6.0' },
    );
    const node = model.layers[model.layers.length - 1].inbound[0];
    node.inputs = [node.inputs[0], node.inputs[0]];
    expect(() => compileToOnnx(model)).toThrow(/before Keras 3.10/);
  });

  it('reads value= and attention_mask= keyword tensors (tf-keras stores value as a keyword)', async () => {
    const model: ModelDescription = singleLayerModel(
      { className: 'MultiHeadAttention', config: base, weights: mhaWeights(4, 2, 3) },
      [
        [null, 5, 4],
        [null, 5, 4],
        [null, 5, 5],
      ],
      { kerasMajor: 2 },
    );
    const node = model.layers[model.layers.length - 1].inbound[0];
    const [q, v, m] = node.inputs;
    node.inputs = [q];
    node.kwargs = { value: v, attention_mask: m };
    expect(() => compileToOnnx(model)).not.toThrow();
  });
});

describe('keyword inputs', () => {
  it('splits appended keyword tensors back by keyword, keeping null slots', () => {
    const sym = (name: string) => ({ name, shape: [null, 2] });
    const ref = (layer: string) => ({ layer, nodeIndex: 0, tensorIndex: 0 });
    const split = splitCallInputs(
      {
        inputs: [sym('q'), sym('v'), sym('m2')],
        masks: [null, null, null],
        kwargs: { mask: [null, ref('m2')], training: false },
      },
      ['mask'],
    );
    expect(split.positional.map((t) => t.sym.name)).toEqual(['q', 'v']);
    expect(split.keyword.mask.map((t) => t?.sym.name ?? null)).toEqual([null, 'm2']);
  });
});

describe('weight counts', () => {
  it('LayerNormalization with rms_scaling has gamma only (Keras 3.15)', () => {
    const layer = {
      name: 'ln',
      className: 'LayerNormalization',
      config: { rms_scaling: true, center: true, scale: true },
      inbound: [],
      weights: [weight('gamma', random([4], 1))],
    };
    expect(() => checkLayerWeights(layer)).not.toThrow();
  });
});

describe('normalization and recurrent additions refuse what they do not implement', () => {
  it('GroupNormalization refuses a Keras mask in tf-keras (it weights the moments by it)', () => {
    const model = singleLayerModel(
      {
        className: 'GroupNormalization',
        config: { groups: 2 },
        weights: [weight('gamma', random([4], 1)), weight('beta', random([4], 2))],
      },
      [[null, 5, 4]],
      { kerasMajor: 2, maskInput0: true },
    );
    expect(() => compileToOnnx(model)).toThrow(/weights the moments/);
  });

  it('ConvLSTM2D refuses a Keras mask and compiles an open time axis (ONNX Scan)', () => {
    const layer = {
      className: 'ConvLSTM2D',
      config: { filters: 2, kernel_size: [3, 3], padding: 'same' },
      weights: [
        weight('kernel', random([3, 3, 1, 8], 1)),
        weight('recurrent_kernel', random([3, 3, 2, 8], 2)),
        weight('bias', random([8], 3)),
      ],
    };
    expect(() => compileToOnnx(singleLayerModel(layer, [[null, null, 5, 5, 1]]))).not.toThrow();
    expect(() => compileToOnnx(singleLayerModel(layer, [[null, 3, 5, 5, 1]], { maskInput0: true }))).toThrow(
      /Keras mask/,
    );
  });

  it('GroupNormalization normalizes each group over its channels and the other axes', async () => {
    const x = random([2, 3, 4], 21);
    const gamma = random([4], 22);
    const beta = random([4], 23);
    const y = await runLayer(
      {
        className: 'GroupNormalization',
        config: { groups: 2, epsilon: 0.001 },
        weights: [weight('gamma', gamma), weight('beta', beta)],
      },
      [x],
    );
    expectTensor(
      y,
      build(x.dims, ([b, t, ch]) => {
        const grp = Math.floor(ch / 2);
        const vals: number[] = [];
        for (let tt = 0; tt < 3; tt += 1)
          for (let cc = 0; cc < 2; cc += 1) vals.push(at(x, [b, tt, grp * 2 + cc]));
        const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
        const variance = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length;
        return ((at(x, [b, t, ch]) - mean) / Math.sqrt(variance + 0.001)) * gamma.data[ch] + beta.data[ch];
      }),
    );
  });
});
