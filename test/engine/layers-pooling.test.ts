import { describe, it } from 'vitest';
import { at, build, expectTensor, random, runLayer } from './layer-harness.js';

describe('global pooling', () => {
  const x = random([2, 3, 4, 5], 41);

  it('GlobalAveragePooling2D and GlobalMaxPooling2D reduce the spatial axes', async () => {
    const mean = build([2, 5], ([b, c]) => {
      let s = 0;
      for (let h = 0; h < 3; h += 1) for (let w = 0; w < 4; w += 1) s += at(x, [b, h, w, c]);
      return s / 12;
    });
    expectTensor(await runLayer({ className: 'GlobalAveragePooling2D', config: {} }, [x]), mean);
    const kept = await runLayer({ className: 'GlobalAveragePooling2D', config: { keepdims: true } }, [x]);
    expectTensor(kept, { dims: [2, 1, 1, 5], data: mean.data });
    const max = build([2, 3], ([b, c]) => {
      let m = -Infinity;
      for (let h = 0; h < 4; h += 1) for (let w = 0; w < 5; w += 1) m = Math.max(m, at(x, [b, c, h, w]));
      return m;
    });
    expectTensor(
      await runLayer({ className: 'GlobalMaxPooling2D', config: { data_format: 'channels_first' } }, [x]),
      max,
    );
  });

  it('GlobalAveragePooling1D averages only unmasked steps', async () => {
    const s = random([2, 4, 3], 42);
    // zero rows are masked by the Masking layer in front
    for (const [b, t] of [
      [0, 1],
      [1, 0],
      [1, 3],
    ]) {
      s.data.fill(0, (b * 4 + t) * 3, (b * 4 + t) * 3 + 3);
    }
    const y = await runLayer({ className: 'GlobalAveragePooling1D', config: {} }, [s], { maskInput0: true });
    const counts = [3, 2];
    expectTensor(
      y,
      build([2, 3], ([b, c]) => {
        let sum = 0;
        for (let t = 0; t < 4; t += 1) sum += at(s, [b, t, c]);
        return sum / counts[b];
      }),
    );
  });

  it('GlobalMaxPooling3D channels_last', async () => {
    const v = random([1, 2, 2, 3, 2], 43);
    const y = await runLayer({ className: 'GlobalMaxPooling3D', config: {} }, [v]);
    expectTensor(
      y,
      build([1, 2], ([, c]) => Math.max(...Array.from(v.data).filter((_, i) => i % 2 === c))),
    );
  });

  it('MaxPooling1D channels_first pools the last axis', async () => {
    const s = random([1, 2, 6], 44);
    const y = await runLayer(
      { className: 'MaxPooling1D', config: { pool_size: 2, data_format: 'channels_first' } },
      [s],
    );
    expectTensor(
      y,
      build([1, 2, 3], ([b, c, t]) => Math.max(at(s, [b, c, 2 * t]), at(s, [b, c, 2 * t + 1]))),
    );
  });
});
