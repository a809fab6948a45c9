import { describe, expect, it } from 'vitest';
import { byteSize, nonNegativeInteger, port, positiveInteger } from '../../src/cli/arg-parsers.js';
import { runCli } from '../helpers/cli.js';

describe('CLI option values', () => {
  it('parses counts, sizes and ports, refusing anything else', () => {
    expect(positiveInteger('32')).toBe(32);
    for (const bad of ['0', '-1', '1.5', 'x', '', '1e3'])
      expect(() => positiveInteger(bad)).toThrow(/whole number/);
    expect(nonNegativeInteger('0')).toBe(0);
    expect(byteSize('64MiB')).toBe(64 * 1024 ** 2);
    expect(byteSize('500kB')).toBe(500 * 1024);
    expect(byteSize('2g')).toBe(2 * 1024 ** 3);
    expect(() => byteSize('lots')).toThrow(/a size like 64MiB/);
    expect(port('8080')).toBe(8080);
    expect(() => port('70000')).toThrow(/port/);
  });

  it('a bad value is a usage error (exit 2) naming the option, before anything runs', async () => {
    const res = await runCli([
      'score',
      '--model',
      'examples/models/mnist-cnn.keras',
      '--source',
      'examples/input',
      '--target',
      'never-written',
      '--batch-size',
      'many',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--batch-size <n>.*many.*whole number/s);
  }, 60_000);
});
