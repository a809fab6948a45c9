import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import type { LayerConfig, LayerSpec, ModelDescription, Shape, WeightTensor } from '../../src/keras/model.js';
import {
  affine,
  type RefCell,
  randomWeight,
  refRnn,
  rng,
  type Seq,
  toMat,
} from '../helpers/rnn-reference.js';

// ---------------------------------------------------------------------------------------------
// Model descriptions built by hand, run on the ONNX engine.
// ---------------------------------------------------------------------------------------------

interface ChainLayer {
  className: string;
  config: LayerConfig;
  weights?: WeightTensor[];
}

function chainModel(inputShape: Shape, chain: ChainLayer[], major: 2 | 3 = 3, outputs = 1): ModelDescription {
  let prev = 'input';
  const layers: LayerSpec[] = chain.map((l, i) => {
    const name = `layer_${i}`;
    const spec: LayerSpec = {
      name,
      className: l.className,
      config: { name, ...l.config },
      inbound: [{ inputs: [{ layer: prev, nodeIndex: 0, tensorIndex: 0 }], kwargs: {} }],
      weights: l.weights ?? [],
    };
    prev = name;
    return spec;
  });
  return {
    name: 'test',
    format: major === 3 ? 'keras3-zip' : 'tf-keras-h5',
    kerasVersion: major === 3 ? '3.15.0' : '2.21.0',
    kerasMajor: major,
    backend: 'tensorflow',
    modelClass: 'Functional',
    layers,
    inputs: [{ name: 'input', shape: inputShape, dtype: 'float32' }],
    outputs: Array.from({ length: outputs }, (_, t) => ({
      name: prev,
      ref: { layer: prev, nodeIndex: 0, tensorIndex: t },
    })),
  };
}

async function run(model: ModelDescription, x: Float32Array, dims: number[]) {
  const engine = await createEngine(model, { threads: 1 });
  try {
    return { outputs: await engine.predict([{ data: x, dims }]), specs: engine.outputs };
  } finally {
    await engine.dispose();
  }
}

const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

function expectClose(actual: Float32Array, expected: unknown): void {
  const e = flat(expected);
  expect(actual.length).toBe(e.length);
  const scale = Math.max(...e.map(Math.abs), 1e-6);
  const err = Math.max(...e.map((v, i) => Math.abs(v - actual[i])));
  expect(err / scale).toBeLessThan(1e-5);
}

const B = 3;
const T = 6;
const F = 4;
const U = 5;

function randomSeq(rand: () => number): { x: Seq; data: Float32Array } {
  const x: Seq = Array.from({ length: B }, () =>
    Array.from({ length: T }, () => Array.from({ length: F }, () => 2 * rand())),
  );
  return { x, data: Float32Array.from(flat(x)) };
}

const GATES = { SimpleRNN: 1, GRU: 3, LSTM: 4 } as const;

function makeCell(
  rand: () => number,
  kind: RefCell['kind'],
  opts: Partial<Omit<RefCell, 'kind' | 'weights'>> = {},
  inputDim = F,
): RefCell {
  const units = opts.units ?? U;
  const useBias = opts.useBias ?? true;
  const resetAfter = opts.resetAfter ?? true;
  const n = GATES[kind] * units;
  const weights = [
    randomWeight(rand, 'kernel', [inputDim, n]),
    randomWeight(rand, 'recurrent_kernel', [units, n]),
  ];
  if (useBias) weights.push(randomWeight(rand, 'bias', kind === 'GRU' && resetAfter ? [2, n] : [n]));
  return {
    kind,
    units,
    activation: opts.activation ?? 'tanh',
    recurrentActivation: opts.recurrentActivation ?? 'sigmoid',
    resetAfter,
    useBias,
    weights,
  };
}

function cellLayer(cell: RefCell, config: LayerConfig = {}): ChainLayer {
  return {
    className: cell.kind,
    config: {
      units: cell.units,
      activation: cell.activation,
      recurrent_activation: cell.recurrentActivation,
      use_bias: cell.useBias,
      ...(cell.kind === 'GRU' ? { reset_after: cell.resetAfter } : {}),
      ...config,
    },
    weights: cell.weights,
  };
}

const reverseTime = (s: Seq): Seq => s.map((b) => [...b].reverse());

describe('recurrent layers against a JS reference of the Keras equations', () => {
  const cases: [string, RefCell['kind'], Partial<RefCell>, 2 | 3][] = [
    ['SimpleRNN', 'SimpleRNN', {}, 3],
    ['SimpleRNN relu without bias', 'SimpleRNN', { activation: 'relu', useBias: false }, 3],
    ['LSTM', 'LSTM', {}, 3],
    ['LSTM hard_sigmoid, Keras 2 slope', 'LSTM', { recurrentActivation: 'hard_sigmoid' }, 2],
    ['LSTM hard_sigmoid, Keras 3 slope', 'LSTM', { recurrentActivation: 'hard_sigmoid' }, 3],
    ['GRU reset_after=True', 'GRU', { resetAfter: true }, 3],
    ['GRU reset_after=False', 'GRU', { resetAfter: false }, 2],
    ['GRU reset_after=False without bias', 'GRU', { resetAfter: false, useBias: false }, 2],
  ];
  for (const [title, kind, opts, major] of cases) {
    for (const goBackwards of [false, true]) {
      it(`${title}${goBackwards ? ', go_backwards' : ''}: sequences and states`, async () => {
        const rand = rng(title.length * 7 + (goBackwards ? 1 : 0));
        const cell = makeCell(rand, kind, opts);
        const { x, data } = randomSeq(rand);
        const model = chainModel(
          [null, null, F],
          [cellLayer(cell, { return_sequences: true, return_state: true, go_backwards: goBackwards })],
          major,
          kind === 'LSTM' ? 3 : 2,
        );
        const { outputs, specs } = await run(model, data, [B, T, F]);
        const ref = refRnn(cell, major, x, null, goBackwards, false);
        expectClose(outputs[0].data, ref.seq);
        expectClose(outputs[1].data, ref.states[0]);
        if (kind === 'LSTM') expectClose(outputs[2].data, ref.states[1]);
        expect(specs[0].shape).toEqual([null, null, U]);
        expect(specs[1].shape).toEqual([null, U]);
      });
    }
  }

  it('distinguishes the Keras 2 and Keras 3 hard_sigmoid', async () => {
    const rand = rng(5);
    const cell = makeCell(rand, 'GRU', { recurrentActivation: 'hard_sigmoid' });
    const { data } = randomSeq(rand);
    const model = (major: 2 | 3) => chainModel([null, T, F], [cellLayer(cell)], major);
    const [k2, k3] = [await run(model(2), data, [B, T, F]), await run(model(3), data, [B, T, F])];
    const diff = Math.max(...k2.outputs[0].data.map((v, i) => Math.abs(v - k3.outputs[0].data[i])));
    expect(diff).toBeGreaterThan(1e-3);
  });
});

// Ids: right padding, a hole in the middle, left padding (pad_sequences' default), all padding.
const IDS = [
  [3, 5, 1, 7, 0, 0],
  [2, 0, 4, 0, 6, 1],
  [0, 0, 0, 8, 9, 2],
  [0, 0, 0, 0, 0, 0],
];
const VOCAB = 10;

function embed(table: WeightTensor): { x: Seq; mask: number[][]; data: Float32Array } {
  const dim = table.shape[1];
  const x = IDS.map((row) => row.map((id) => Array.from(table.data.subarray(id * dim, (id + 1) * dim))));
  return {
    x,
    mask: IDS.map((row) => row.map((id) => (id !== 0 ? 1 : 0))),
    data: Float32Array.from(IDS.flat()),
  };
}

describe('masks', () => {
  for (const kind of ['SimpleRNN', 'LSTM', 'GRU'] as const) {
    for (const goBackwards of [false, true]) {
      it(`Embedding(mask_zero) → ${kind}${goBackwards ? ' go_backwards' : ''}: masked steps keep state and repeat output`, async () => {
        const rand = rng(kind.length + (goBackwards ? 100 : 0));
        const table = randomWeight(rand, 'embeddings', [VOCAB, F]);
        const cell = makeCell(rand, kind);
        const { x, mask, data } = embed(table);
        const model = chainModel(
          [null, null],
          [
            {
              className: 'Embedding',
              config: { input_dim: VOCAB, output_dim: F, mask_zero: true },
              weights: [table],
            },
            cellLayer(cell, { return_sequences: true, return_state: true, go_backwards: goBackwards }),
          ],
          3,
          2,
        );
        const { outputs } = await run(model, data, [IDS.length, T]);
        const ref = refRnn(cell, 3, x, mask, goBackwards, false);
        expectClose(outputs[0].data, ref.seq);
        expectClose(outputs[1].data, ref.states[0]);
        // The all-padding row never updates its state.
        expect(Array.from(outputs[1].data.subarray(3 * U, 4 * U))).toEqual(Array(U).fill(0));
      });
    }
  }

  it('Masking → LSTM, and Masking zeroes masked steps', async () => {
    const rand = rng(77);
    const cell = makeCell(rand, 'LSTM');
    const { x, data } = randomSeq(rand);
    for (const [b, t] of [
      [0, 4],
      [0, 5],
      [1, 2],
      [2, 0],
    ]) {
      x[b][t].fill(-1);
      data.fill(-1, (b * T + t) * F, (b * T + t + 1) * F);
    }
    const mask = x.map((row) => row.map((v) => (v.some((e) => e !== -1) ? 1 : 0)));
    const masking = { className: 'Masking', config: { mask_value: -1 } };
    const alone = await run(chainModel([null, T, F], [masking]), data, [B, T, F]);
    expectClose(
      alone.outputs[0].data,
      x.map((row, b) => row.map((v, t) => v.map((e) => e * mask[b][t]))),
    );
    const model = chainModel([null, T, F], [masking, cellLayer(cell, { return_sequences: true })]);
    const { outputs } = await run(model, data, [B, T, F]);
    expectClose(outputs[0].data, refRnn(cell, 3, x, mask, false, false).seq);
  });
});

describe('Bidirectional', () => {
  const merge: Record<string, (a: number, b: number) => number> = {
    sum: (a, b) => a + b,
    mul: (a, b) => a * b,
    ave: (a, b) => (a + b) / 2,
  };
  for (const mode of ['concat', 'sum', 'mul', 'ave', null] as const) {
    for (const kind of ['LSTM', 'GRU'] as const) {
      it(`${kind}, merge_mode=${mode}, masked, return_sequences`, async () => {
        const rand = rng(String(mode).length * 13 + kind.length);
        const table = randomWeight(rand, 'embeddings', [VOCAB, F]);
        const fwd = makeCell(rand, kind, { resetAfter: false });
        const bwd = makeCell(rand, kind, { resetAfter: false });
        const { x, mask, data } = embed(table);
        const inner = cellLayer(fwd, { return_sequences: true });
        const model = chainModel(
          [null, null],
          [
            {
              className: 'Embedding',
              config: { input_dim: VOCAB, output_dim: F, mask_zero: true },
              weights: [table],
            },
            {
              className: 'Bidirectional',
              config: { merge_mode: mode, layer: { class_name: kind, config: inner.config } },
              weights: [...fwd.weights, ...bwd.weights],
            },
          ],
          2,
          mode === null ? 2 : 1,
        );
        const { outputs, specs } = await run(model, data, [IDS.length, T]);
        // Keras forces zero_output_for_mask=return_sequences and flips the backward output back.
        const y = refRnn(fwd, 2, x, mask, false, true).seq;
        const yRev = reverseTime(refRnn(bwd, 2, x, mask, true, true).seq);
        if (mode === null) {
          expectClose(outputs[0].data, y);
          expectClose(outputs[1].data, yRev);
        } else if (mode === 'concat') {
          expectClose(
            outputs[0].data,
            y.map((row, b) => row.map((v, t) => [...v, ...yRev[b][t]])),
          );
          expect(specs[0].shape).toEqual([null, null, 2 * U]);
        } else {
          const f = merge[mode];
          expectClose(
            outputs[0].data,
            y.map((row, b) => row.map((v, t) => v.map((e, j) => f(e, yRev[b][t][j])))),
          );
        }
      });
    }
  }

  it('LSTM forward with a GRU backward_layer, last output and states', async () => {
    const rand = rng(4242);
    const fwd = makeCell(rand, 'LSTM');
    const bwd = makeCell(rand, 'GRU', { units: 3 });
    const { x, data } = randomSeq(rand);
    const model = chainModel(
      [null, T, F],
      [
        {
          className: 'Bidirectional',
          config: {
            merge_mode: 'concat',
            layer: { class_name: 'LSTM', config: cellLayer(fwd, { return_state: true }).config },
            backward_layer: {
              class_name: 'GRU',
              config: cellLayer(bwd, { return_state: true, go_backwards: true }).config,
            },
          },
          weights: [...fwd.weights, ...bwd.weights],
        },
      ],
      3,
      4,
    );
    const { outputs, specs } = await run(model, data, [B, T, F]);
    const a = refRnn(fwd, 3, x, null, false, false);
    const b = refRnn(bwd, 3, x, null, true, false);
    expectClose(
      outputs[0].data,
      a.states[0].map((h, i) => [...h, ...b.states[0][i]]),
    );
    expectClose(outputs[1].data, a.states[0]);
    expectClose(outputs[2].data, a.states[1]);
    expectClose(outputs[3].data, b.states[0]);
    expect(specs.map((s) => s.shape)).toEqual([
      [null, U + 3],
      [null, U],
      [null, U],
      [null, 3],
    ]);
  });
});

describe('generic RNN(cell)', () => {
  it('RNN(LSTMCell) with go_backwards matches LSTM', async () => {
    const rand = rng(31);
    const cell = makeCell(rand, 'LSTM');
    const { x, data } = randomSeq(rand);
    const cellConfig = cellLayer(cell).config;
    const model = chainModel(
      [null, T, F],
      [
        {
          className: 'RNN',
          config: {
            return_sequences: true,
            go_backwards: true,
            cell: { class_name: 'LSTMCell', config: cellConfig },
          },
          weights: cell.weights,
        },
      ],
    );
    const { outputs } = await run(model, data, [B, T, F]);
    expectClose(outputs[0].data, refRnn(cell, 3, x, null, true, false).seq);
  });
});

describe('TimeDistributed', () => {
  it('Dense over an open time axis', async () => {
    const rand = rng(9);
    const kernel = randomWeight(rand, 'kernel', [F, 3]);
    const bias = randomWeight(rand, 'bias', [3]);
    const { x, data } = randomSeq(rand);
    const model = chainModel(
      [null, null, F],
      [
        {
          className: 'TimeDistributed',
          config: { layer: { class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'tanh' } } },
          weights: [kernel, bias],
        },
      ],
    );
    const { outputs, specs } = await run(model, data, [B, T, F]);
    const k = toMat(kernel);
    const expected = x.map((row) => row.map((v) => affine(v, k, 0, 3, Array.from(bias.data)).map(Math.tanh)));
    expectClose(outputs[0].data, expected);
    expect(outputs[0].dims).toEqual([B, T, 3]);
    expect(specs[0].shape).toEqual([null, null, 3]);
  });
});

describe('refusals', () => {
  it('refuses a recurrent activation the ONNX ops cannot express', async () => {
    const rand = rng(1);
    const cell = makeCell(rand, 'LSTM', { activation: 'gelu' });
    await expect(createEngine(chainModel([null, T, F], [cellLayer(cell)]))).rejects.toThrow(
      /recurrent activation "gelu" is not supported/,
    );
  });

  it('refuses GRU weights that contradict reset_after', async () => {
    const rand = rng(2);
    const cell = makeCell(rand, 'GRU', { resetAfter: false });
    const layer = cellLayer(cell);
    layer.config.reset_after = true;
    await expect(createEngine(chainModel([null, T, F], [layer]))).rejects.toThrow(/reset_after/);
  });
});
