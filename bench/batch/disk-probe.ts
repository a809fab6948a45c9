/**
 * This ext4 volume has no journal, and ext4 then skips inodes freed in the last minute or more when it allocates
 * one (`recently_deleted()` in fs/ext4/ialloc.c). Right after many files were deleted anywhere near (a test
 * run's or a previous bench's clean-up), creating a file scans thousands of them and costs ~500 µs of kernel
 * CPU instead of ~30 µs, for every writer alike. The probe measures the rate of plain file creation so the
 * bench can wait for the volume to settle and report the state it measured in.
 */

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const PROBE_FILES = 2_000;
/** Creations/s below which the volume is still paying for recent deletions (quiet: 20,000–40,000 here). */
export const QUIET_CREATES_PER_SECOND = 10_000;

/** Files/s of creating and writing small files in a new folder under `dir` (kept: deleting would add churn). */
export function probeCreates(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const body = Buffer.alloc(560, 0x20);
  const t0 = performance.now();
  for (let i = 0; i < PROBE_FILES; i += 1) {
    const fd = openSync(join(dir, `p${i}`), 'wx');
    writeSync(fd, body);
    closeSync(fd);
  }
  return (PROBE_FILES * 1000) / (performance.now() - t0);
}

/** Probes every 10 s until creation is quiet or `maxSeconds` passed; the last rate and the seconds waited. */
export async function waitForQuietDisk(
  base: string,
  log: (m: string) => void,
  maxSeconds = 180,
): Promise<{ rate: number; waitedSeconds: number }> {
  const t0 = performance.now();
  for (let n = 0; ; n += 1) {
    const rate = probeCreates(join(base, `probe-${n}`));
    const waitedSeconds = (performance.now() - t0) / 1000;
    if (rate >= QUIET_CREATES_PER_SECOND || waitedSeconds >= maxSeconds) return { rate, waitedSeconds };
    log(`disk probe: ${Math.round(rate)} file creations/s (recent deletions on the volume); waiting 10 s`);
    await new Promise((r) => setTimeout(r, 10_000));
  }
}
