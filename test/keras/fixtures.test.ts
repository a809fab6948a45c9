import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countParams, loadModel } from '../../src/keras/index.js';
import { repoRoot } from '../helpers/shared.js';

const dir = join(repoRoot, 'fixtures', 'models');
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => /\.(keras|h5)$/.test(f))
      .sort()
  : [];

describe('keras: every fixture in fixtures/models loads', () => {
  it('has the committed fixtures (fixtures/models is part of the repository)', () => {
    expect(files.length).toBeGreaterThan(50);
  });
  for (const file of files) {
    it(file, async () => {
      const path = join(dir, file);
      const arch = file.endsWith('.weights.h5') ? path.replace(/\.weights\.h5$/, '.arch.json') : null;
      const model = await loadModel(path, arch && existsSync(arch) ? { architecture: arch } : {});
      expect(model.inputs.length).toBeGreaterThan(0);
      expect(model.outputs.length).toBeGreaterThan(0);
      for (const input of model.inputs) expect(input.shape[0]).toBeNull();
      const names = new Set(model.layers.map((l) => l.name));
      for (const out of model.outputs) expect(names.has(out.ref.layer)).toBe(true);
      for (const layer of model.layers) {
        for (const w of layer.weights) expect(w.data.length).toBe(w.shape.reduce((a, b) => a * b, 1));
        expect(countParams(layer)).toBe(layer.weights.reduce((n, w) => n + w.data.length, 0));
      }
    });
  }
});
