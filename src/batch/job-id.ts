import { randomBytes } from 'node:crypto';

/** A sortable, unique job id: `20261127T003100Z-3f9a1c`. */
export function newJobId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
