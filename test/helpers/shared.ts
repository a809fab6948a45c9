/**
 * The development corpus lives next to the repository in `../shared` (real third-party Keras files,
 * MNIST, docs). A user's clone does not have it: suites that need it skip with a message.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** The repository root (two levels above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of `../shared` relative to the repository root, or null when it does not exist. */
export function sharedDir(): string | null {
  const dir = join(repoRoot, '..', 'shared');
  try {
    return existsSync(dir) && statSync(dir).isDirectory() ? dir : null;
  } catch {
    return null;
  }
}

let warned = false;

/** `describe` when `../shared` exists; else (a user's clone) a skipped placeholder with a console message, and under CI a failure. */
export function describeShared(name: string, fn: () => void): void {
  if (sharedDir()) {
    describe(name, fn);
    return;
  }
  if (process.env.CI) {
    // CI always has ../shared: a missing corpus there is a broken checkout, not a user's clone.
    describe(name, () => {
      it('needs ../shared', () => {
        throw new Error(
          `../shared not found next to ${repoRoot}: CI must check the corpus out beside the repository`,
        );
      });
    });
    return;
  }
  if (!warned) {
    console.warn("skipped: ../shared not found (a user's clone)");
    warned = true;
  }
  // The real body is not even collected: it may read ../shared at collection time.
  describe.skip(name, () => {
    it.skip("needs ../shared (not found: a user's clone)", () => undefined);
  });
}
