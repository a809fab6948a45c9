/**
 * The README's first command as a newcomer runs it: the compiled CLI (`npm ci` builds dist/ through `prepare`)
 * scores the bundled examples and exits by itself. Compiled code starts its file threads from `thread.js`,
 * a path the from-source tests never take.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

const entry = join(repoRoot, 'dist', 'cli', 'entry.js');

/** The newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    latest = Math.max(latest, e.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const built = existsSync(entry) && statSync(entry).mtimeMs >= newest(join(repoRoot, 'src'));
// In CI (npm ci builds dist/) this must run; in a working copy with no fresh build it says why it did not.
const describeBuilt = built || process.env.CI ? describe : describe.skip;
if (!built && !process.env.CI)
  console.warn('compiled-cli tests skipped: dist/ is missing or older than src/ (npm run build)');

const work = mkdtempSync(join(tmpdir(), 'kb-compiled-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describeBuilt('the compiled CLI (bin/keras-batch.js)', () => {
  it("runs the README's first job on the bundled examples and exits by itself", () => {
    const target = join(work, 'predictions');
    const run = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'bin', 'keras-batch.js'),
        'score',
        ...['--model', join(repoRoot, 'examples', 'models', 'mnist-cnn.keras')],
        ...['--source', join(repoRoot, 'examples', 'input'), '--target', target],
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.signal, 'killed after 60 s: something kept the process alive after the job').toBeNull();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/completed/);
    expect(run.stdout).toMatch(/scored 10, failed 0/);
    const out = JSON.parse(readFileSync(join(target, 'img1.json'), 'utf8'));
    expect(out['img1.json'].fields).toEqual(['prediction', 'prediction_classes', 'probability']);
  });
});
