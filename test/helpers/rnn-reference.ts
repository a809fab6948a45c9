import type { WeightTensor } from '../../src/keras/model.js';

/**
 * A plain-JS reference of the Keras recurrent equations (keras/src/layers/rnn/simple_rnn.py, lstm.py, gru.py)
 * and of Keras' mask handling in `RNN.call`, for the recurrent layer tests.
 */
export type Mat = number[][];
export type Seq = number[][][]; // [batch][time][features]

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export function randomWeight(rand: () => number, name: string, shape: number[]): WeightTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float32Array.from({ length: n }, () => rand()) };
}

export const toMat = (w: WeightTensor): Mat =>
  Array.from({ length: w.shape[0] }, (_, i) =>
    Array.from(w.data.subarray(i * w.shape[1], (i + 1) * w.shape[1])),
  );

export const ACT: Record<string, (x: number, major: number) => number> = {
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(0, x),
  hard_sigmoid: (x, major) => Math.min(1, Math.max(0, (major >= 3 ? x / 6 : 0.2 * x) + 0.5)),
};

/** v (len in) × M (in × out) + bias, restricted to columns [from, from + n). */
export function affine(v: number[], m: Mat, from: number, n: number, bias?: number[]): number[] {
  return Array.from({ length: n }, (_, j) => {
    let s = bias ? bias[from + j] : 0;
    for (let i = 0; i < v.length; i += 1) s += v[i] * m[i][from + j];
    return s;
  });
}

export interface RefCell {
  kind: 'SimpleRNN' | 'LSTM' | 'GRU';
  units: number;
  activation: string;
  recurrentActivation: string;
  resetAfter: boolean;
  weights: WeightTensor[];
  useBias: boolean;
}

/** Keras `RNN.call` with mask semantics: masked steps keep the state and repeat the previous output. */
export function refRnn(
  cell: RefCell,
  major: number,
  x: Seq,
  mask: number[][] | null,
  goBackwards: boolean,
  zeroOutputForMask: boolean,
): { seq: Seq; states: Mat[] } {
  const u = cell.units;
  const [kw, rw] = [toMat(cell.weights[0]), toMat(cell.weights[1])];
  const bias = cell.useBias ? cell.weights[2] : null;
  const b0 = bias
    ? Array.from(bias.data.subarray(0, bias.shape.length === 2 ? bias.shape[1] : bias.data.length))
    : undefined;
  const b1 = bias && bias.shape.length === 2 ? Array.from(bias.data.subarray(bias.shape[1])) : undefined;
  const act = (v: number) => ACT[cell.activation](v, major);
  const rec = (v: number) => ACT[cell.recurrentActivation](v, major);
  const seqs: Seq = [];
  const hs: Mat = [];
  const cs: Mat = [];
  x.forEach((xb, b) => {
    let steps = xb.map((v, t) => ({ v, m: mask ? mask[b][t] : 1 }));
    if (goBackwards) steps = [...steps].reverse();
    let h = Array(u).fill(0);
    let c = Array(u).fill(0);
    let prevOut = Array(u).fill(0);
    const out: Mat = [];
    for (const { v, m } of steps) {
      if (!m) {
        out.push(zeroOutputForMask ? Array(u).fill(0) : prevOut);
        continue;
      }
      if (cell.kind === 'SimpleRNN') {
        const xi = affine(v, kw, 0, u, b0);
        const hi = affine(h, rw, 0, u);
        h = xi.map((s, j) => act(s + hi[j]));
      } else if (cell.kind === 'LSTM') {
        const z = affine(v, kw, 0, 4 * u, b0).map((s, j) => s + affine(h, rw, 0, 4 * u)[j]);
        const i = z.slice(0, u).map(rec);
        const f = z.slice(u, 2 * u).map(rec);
        const g = z.slice(2 * u, 3 * u).map(act);
        const o = z.slice(3 * u).map(rec);
        c = c.map((cv, j) => f[j] * cv + i[j] * g[j]);
        h = o.map((ov, j) => ov * act(c[j]));
      } else {
        const xz = affine(v, kw, 0, 3 * u, b0);
        const zr = (k: number, j: number) => xz[k * u + j];
        let hz: number[];
        let hh: number[];
        if (cell.resetAfter) {
          const rh = affine(h, rw, 0, 3 * u, b1);
          const z = Array.from({ length: u }, (_, j) => rec(zr(0, j) + rh[j]));
          const r = Array.from({ length: u }, (_, j) => rec(zr(1, j) + rh[u + j]));
          hh = Array.from({ length: u }, (_, j) => act(zr(2, j) + r[j] * rh[2 * u + j]));
          hz = z;
        } else {
          const rh = affine(h, rw, 0, 2 * u);
          const z = Array.from({ length: u }, (_, j) => rec(zr(0, j) + rh[j]));
          const r = Array.from({ length: u }, (_, j) => rec(zr(1, j) + rh[u + j]));
          const rhh = affine(
            h.map((hv, j) => hv * r[j]),
            rw,
            2 * u,
            u,
          );
          hh = Array.from({ length: u }, (_, j) => act(zr(2, j) + rhh[j]));
          hz = z;
        }
        h = h.map((hv, j) => hz[j] * hv + (1 - hz[j]) * hh[j]);
      }
      prevOut = h;
      out.push(h);
    }
    seqs.push(out);
    hs.push(h);
    cs.push(c);
  });
  return { seq: seqs, states: cell.kind === 'LSTM' ? [hs, cs] : [hs] };
}
