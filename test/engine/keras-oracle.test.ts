import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import { loadModel } from '../../src/keras/index.js';
import type { ModelDescription } from '../../src/keras/model.js';
import { relativeError } from '../helpers/compare.js';
import { kerasPredict, kerasPython } from '../helpers/python-keras.js';
import { sharedDir } from '../helpers/shared.js';

interface ManifestModel {
  file: string;
  companion_architecture_file?: string;
}

/** Deterministic inputs: token ids for inputs that feed an Embedding, uniform [0, 1) otherwise. */
function fixedInputs(model: ModelDescription, batch: number, seed: number) {
  let state = seed;
  const rand = () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
  return model.inputs.map((input) => {
    const consumers = model.layers.filter((l) =>
      l.inbound.some((n) => n.inputs.some((r) => r.layer === input.name)),
    );
    const embedding = consumers.find((l) => l.className === 'Embedding');
    const vocab = embedding ? Math.min(Number(embedding.config.input_dim ?? 10), 50) : 0;
    const dims = [batch, ...input.shape.slice(1).map((d) => d ?? 12)];
    const size = dims.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: size }, () =>
      embedding ? Math.floor(rand() * vocab) : Math.fround(rand()),
    );
    return { dims, data };
  });
}

const python = kerasPython();
const shared = sharedDir();
const reason = !shared
  ? '../shared not found (a user clone)'
  : !python
    ? 'no .venv with Python Keras (run `npm run fixtures`)'
    : '';
if (reason) {
  // Python Keras is part of CI's setup (.ci/run): there, its absence is a failure, not a skip.
  if (process.env.CI && shared && !python) {
    it('runs against real Keras in CI', () => {
      throw new Error(`the live Keras comparison cannot run in CI: ${reason}`);
    });
  } else console.warn(`skipped: live comparison with real Keras: ${reason}`);
}

describe.skipIf(Boolean(reason))(
  'our engine matches real Keras model.predict on ../shared/keras-models (1e-4 relative)',
  () => {
    const dir = join(shared ?? '', 'keras-models');
    const manifest = shared
      ? (JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { models: ManifestModel[] })
      : { models: [] };
    for (const entry of manifest.models) {
      it(entry.file, async () => {
        const architecturePath = entry.companion_architecture_file
          ? join(dir, entry.companion_architecture_file)
          : undefined;
        let model: ModelDescription;
        try {
          model = await loadModel(join(dir, entry.file), {
            architecture: architecturePath ? readFileSync(architecturePath) : undefined,
          });
        } catch (error) {
          // We refuse only Lambda layers and custom classes (covered in detail by the loader tests).
          expect((error as Error).message).toMatch(/Lambda|custom|unknown layer class/i);
          return;
        }
        const inputs = fixedInputs(model, 4, 7);
        const oracle = await kerasPredict(python as string, join(dir, entry.file), inputs, architecturePath);
        if (!oracle.ok) {
          console.warn(`${entry.file}: Keras itself cannot load it: ${oracle.error}`);
          return;
        }
        const engine = await createEngine(model, { threads: 1 });
        try {
          const outputs = await engine.predict(
            inputs.map((t) => ({ data: Float32Array.from(t.data), dims: t.dims })),
          );
          expect(outputs.length).toBe(oracle.outputs!.length);
          outputs.forEach((out, i) => {
            const expected = oracle.outputs![i];
            expect(out.dims).toEqual(expected.dims);
            const err = relativeError(out.data, expected.data);
            expect(
              err,
              `${entry.file} output ${i}: relative error ${err.toExponential(2)} (${oracle.keras})`,
            ).toBeLessThanOrEqual(1e-4);
          });
        } finally {
          await engine.dispose();
        }
      });
    }
  },
);
