/** The three models of the throughput benchmark, with their default files. */

import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BenchContext } from './suite.js';

export interface BenchModel {
  /** `cnn`, `mlp`, `lstm` (also the `--model-<key>` flag). */
  key: string;
  label: string;
  path: string;
}

interface Candidate {
  key: string;
  label: string;
  /** Files to try in order: relative to the repo root, or to ../shared when `shared` is set. */
  files: { shared?: boolean; path: string }[];
}

const CANDIDATES: Candidate[] = [
  {
    key: 'cnn',
    label: 'MNIST CNN',
    files: [
      { path: 'examples/models/mnist-cnn.keras' },
      { shared: true, path: 'keras-models/mnist-cnn-keras2.0.9-allysonaberg.h5' },
    ],
  },
  {
    key: 'mlp',
    label: 'MNIST MLP',
    files: [{ shared: true, path: 'keras-models/mnist-mlp-keras3.3.3-4bumuhammad.h5' }],
  },
  {
    key: 'lstm',
    label: 'stock LSTM',
    files: [{ shared: true, path: 'keras-models/stock-lstm-keras3.10.0-01235-anuj.h5' }],
  },
];

/** Resolves each model (flag, then default files); a model with no file is skipped with a note. */
export function resolveModels(ctx: BenchContext): { models: BenchModel[]; notes: string[] } {
  const models: BenchModel[] = [];
  const notes: string[] = [];
  for (const c of CANDIDATES) {
    const flag = ctx.options.models[c.key];
    if (flag) {
      if (existsSync(flag)) models.push({ key: c.key, label: c.label, path: flag });
      else notes.push(`${c.label}: --model-${c.key} ${flag} does not exist; skipped`);
      continue;
    }
    const tried: string[] = [];
    let found: string | null = null;
    for (const f of c.files) {
      if (f.shared && !ctx.sharedDir) {
        tried.push(`../shared/${f.path} (../shared absent)`);
        continue;
      }
      const p = f.shared ? join(ctx.sharedDir as string, f.path) : join(ctx.repoRoot, f.path);
      if (existsSync(p)) {
        found = p;
        break;
      }
      tried.push(relative(ctx.repoRoot, p));
    }
    if (found) models.push({ key: c.key, label: c.label, path: found });
    else
      notes.push(
        `${c.label}: no model file (tried ${tried.join(', ')}); skipped — pass --model-${c.key} PATH`,
      );
  }
  return { models, notes };
}

export function shortPath(ctx: BenchContext, path: string): string {
  const rel = relative(ctx.repoRoot, path);
  return rel.startsWith('..') && ctx.sharedDir ? `../shared/${relative(ctx.sharedDir, path)}` : rel;
}
