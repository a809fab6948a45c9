/** The terminal progress bar's line: a percentage only once the total is known. */
import cliProgress from 'cli-progress';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress-bar.js';

const options = {
  ...cliProgress.Presets.shades_classic,
  barsize: 10,
  barCompleteString: '#'.repeat(10),
  barIncompleteString: '-'.repeat(10),
  barGlue: '',
  autopadding: false,
  autopaddingChar: '   ',
} as cliProgress.Options;
const params = (value: number, total: number) => ({
  progress: value / total,
  eta: 0,
  startTime: Date.now(),
  stopTime: null,
  total,
  value,
  maxWidth: 200,
});
const payload = { rate: '4000', failed: 2, eta_text: '3s' };

describe('progress bar line', () => {
  it('while listing: no percentage, an empty bar and the count found so far', () => {
    const line = progressLine(options, params(600, 1000), { ...payload, listing: true });
    expect(line).toContain('listing…');
    expect(line).toContain('600/1000+ files');
    expect(line).not.toMatch(/\d+%/);
    expect(line).toContain('-'.repeat(10));
  });

  it('once the total is known: the percentage, the bar, files, rate, ETA and failures', () => {
    const line = progressLine(options, params(500, 1000), { ...payload, listing: false });
    expect(line).toContain('50%');
    expect(line).toContain('#####-----');
    expect(line).toContain('500/1000 files | 4000 files/s | ETA 3s | failed 2');
  });
});
