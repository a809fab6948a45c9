import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine, type InputTensor } from '../../src/engine/index.js';
import { loadModel } from '../../src/keras/index.js';
import { expectClose, type GoldenTensor } from '../helpers/compare.js';

const root = join(import.meta.dirname, '..', '..', 'fixtures');
const goldenDir = join(root, 'goldens');

/** A string input's records (`fixtures/make_fixtures.py` `tensor_json` of a string array). */
interface GoldenStrings {
  dims: number[];
  strings: string[];
}

interface Golden {
  case: string;
  layers: string[];
  inputs: (GoldenTensor | GoldenStrings)[];
  outputs: Record<string, GoldenTensor[]>;
}

const goldens: Golden[] = existsSync(goldenDir)
  ? readdirSync(goldenDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(goldenDir, f), 'utf8')) as Golden)
      .filter((g) => g.outputs && g.inputs)
  : [];

describe('real-Keras fixtures match their goldens within 1e-5 (relative to max |output|)', () => {
  it('has fixtures to check', () => {
    expect(goldens.length).toBeGreaterThan(10);
  });
  for (const golden of goldens) {
    for (const [file, expected] of Object.entries(golden.outputs)) {
      it(`${file} (${golden.layers.join(', ')})`, async () => {
        const inFixtures = join(root, 'models', file);
        const path = existsSync(inFixtures) ? inFixtures : join(root, '..', 'examples', 'models', file);
        const architecture = file.endsWith('.weights.h5')
          ? readFileSync(join(root, 'models', file.replace(/\.weights\.h5$/, '.arch.json')))
          : undefined;
        const model = await loadModel(path, { architecture });
        const engine = await createEngine(model, { threads: 1 });
        try {
          const inputs = golden.inputs.map(
            (t): InputTensor =>
              'strings' in t
                ? { strings: t.strings, dims: t.dims }
                : { data: Float32Array.from(t.data), dims: t.dims },
          );
          const outputs = await engine.predict(inputs);
          expect(outputs.length).toBe(expected.length);
          for (const [i, out] of outputs.entries())
            expectClose(out, expected[i], 1e-5, `${file} output ${i}`);
        } finally {
          await engine.dispose();
        }
      });
    }
  }
});
