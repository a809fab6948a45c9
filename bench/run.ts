/**
 * `npm run bench [-- --json] [--quick] ...`: the suites of bench/suites/index.ts in order, a readable report
 * (or with `--json` one JSON document on stdout), the targets with PASS/FAIL. Writes only under
 * bench/results/ (the last report as latest.json).
 */

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseOptions } from './lib/options.js';
import { ensureResultsDir, findSharedDir, repoRoot } from './lib/paths.js';
import type { BenchContext, SuiteResult, TargetResult } from './lib/suite.js';
import { formatTable } from './lib/table.js';
import { SUITES } from './suites/index.js';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const ctx: BenchContext = {
    options,
    repoRoot,
    sharedDir: findSharedDir(),
    resultsDir: ensureResultsDir(),
    log: (message) =>
      process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`),
  };
  const selected = options.suites
    ? SUITES.filter((s) => options.suites?.includes(s.name))
    : SUITES.filter((s) => s.defaultRun !== false);
  const unknown = (options.suites ?? []).filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);

  const machine = {
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.arch()}`,
    quick: options.quick,
  };
  const results: Record<string, SuiteResult & { seconds: number }> = {};
  for (const suite of selected) {
    const t = performance.now();
    ctx.log(`suite ${suite.name}: ${suite.description}`);
    const r = await suite.run(ctx);
    results[suite.name] = { ...r, seconds: (performance.now() - t) / 1000 };
  }
  const targets = Object.values(results).flatMap((r) => r.targets);
  const seconds = (performance.now() - started) / 1000;
  const document = {
    date: new Date().toISOString(),
    machine,
    seconds,
    targets,
    suites: Object.fromEntries(
      Object.entries(results).map(([name, r]) => [name, { ...r, lines: undefined }]),
    ),
  };
  writeFileSync(join(ctx.resultsDir, 'latest.json'), `${JSON.stringify(document, null, 2)}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  const out: string[] = [
    `keras-batch bench — ${machine.cpuModel}, ${machine.cpus} cores, Node ${machine.node}${options.quick ? ', --quick' : ''}`,
    '(records/s, median of repetitions; every runner scores the same seeded records with the same weights)',
    '',
  ];
  for (const [name, r] of Object.entries(results)) {
    out.push(`== ${name} (${r.seconds.toFixed(1)} s)`, ...r.lines);
    if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
    out.push('');
  }
  out.push(
    '== targets',
    ...targetLines(targets),
    '',
    `total ${seconds.toFixed(1)} s; report saved to bench/results/latest.json`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

function targetLines(targets: TargetResult[]): string[] {
  if (targets.length === 0) return ['(no target measured)'];
  return formatTable(
    ['result', 'target', 'measured', 'note'],
    targets.map((t) => [
      t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL',
      t.name,
      t.measured,
      t.note ?? '',
    ]),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
