/**
 * The floors of src/ and what each may import (docs/architecture.md): a new upward or sideways import fails
 * here, naming the file and the import. Also the size rules: no file in src/ over 400 lines, no function over
 * 120, no `as unknown as`.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');
const web = join(import.meta.dirname, '..', 'web', 'src');

/** Each part of src/ and the parts it may import (docs/architecture.md keeps the same table). */
const MAY_IMPORT: Record<string, string[]> = {
  util: [],
  keras: ['util'],
  engine: ['keras', 'util'],
  scoring: ['engine', 'util'],
  storage: ['util'],
  repository: ['util'],
  contract: ['util'],
  batch: ['engine', 'keras', 'scoring', 'storage', 'util'],
  queue: ['batch', 'engine', 'keras', 'scoring', 'storage', 'util'],
  service: ['batch', 'contract', 'engine', 'keras', 'queue', 'repository', 'scoring', 'storage', 'util'],
  api: ['contract', 'service', 'util'],
  cli: ['api', 'batch', 'contract', 'engine', 'keras', 'queue', 'scoring', 'service', 'storage', 'util'],
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Relative module specifiers of a file: static, type-only, re-exports and dynamic `import()`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)];
  return found.map((m) => m[1]);
}

const partOf = (file: string, root: string) => relative(root, file).split('/')[0];

/** Every import of a file under `root` that crosses floors outside the table. */
function violations(root: string): string[] {
  const out: string[] = [];
  for (const file of files(root)) {
    const from = partOf(file, root);
    for (const spec of importsOf(file)) {
      const to = partOf(resolve(dirname(file), spec), root);
      if (to.startsWith('..')) out.push(`${relative(root, file)} imports ${spec} (outside src/)`);
      else if (to !== from && !MAY_IMPORT[from]?.includes(to))
        out.push(`${relative(root, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  return out;
}

describe('architecture: the floors of src/ import only what docs/architecture.md allows', () => {
  const all = files(src);

  it('knows every part of src/', () => {
    const parts = new Set(all.map((f) => partOf(f, src)).filter((p) => !p.endsWith('.ts')));
    expect([...parts].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('has no import across floors outside the table', () => {
    expect(violations(src)).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const resolveFile = (from: string, spec: string) => {
      const base = resolve(dirname(from), spec).replace(/\.js$/, '');
      return existsSync(`${base}.ts`) ? `${base}.ts` : join(base, 'index.ts');
    };
    const graph = new Map(all.map((f) => [f, importsOf(f).map((s) => resolveFile(f, s))]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === 'open') {
          cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(src, f)).join(' → '));
        } else if (!state.has(next)) visit(next, [...path, next]);
      }
      state.set(file, 'done');
    };
    for (const file of all) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it('the web UI takes only the API client from src/ (contract/client)', () => {
    const violations: string[] = [];
    for (const file of files(web)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/import\s+(type\s+)?[^;]*?from\s*'((?:\.\.\/)+src\/[^']+)'/g)) {
        if (!m[2].endsWith('src/contract/client')) violations.push(`${relative(web, file)}: ${m[0]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the API client imports the schemas as types only (the web bundle carries no schema code)', () => {
    const text = readFileSync(join(src, 'contract', 'client.ts'), 'utf8');
    const valueImports = [...text.matchAll(/^import\s+(?!type\s)[^;]*;/gm)].map((m) => m[0]);
    expect(valueImports).toEqual([]);
  });

  it('catches an upward import (the check itself can fail)', () => {
    const root = mkdtempSync(join(tmpdir(), 'kb-layers-'));
    try {
      mkdirSync(join(root, 'keras'));
      mkdirSync(join(root, 'repository'));
      writeFileSync(join(root, 'keras', 'a.ts'), "import { x } from '../repository/b.js';\n");
      writeFileSync(join(root, 'repository', 'b.ts'), "export const x = await import('../keras/a.js');\n");
      expect(violations(root)).toEqual([
        'keras/a.ts (keras) imports ../repository/b.js (repository)',
        'repository/b.ts (repository) imports ../keras/a.js (keras)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 120;

const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** A function's name for the report: its own, its variable's or property's, else `(anonymous)`. */
function functionName(node: ts.SignatureDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name)
    return parent.name.getText(file);
  return '(anonymous)';
}

/** Each file over the limit as `file: N lines`, each function over it as `file:function (line L): N lines`. */
function oversized(root: string): string[] {
  const out: string[] = [];
  for (const path of files(root)) {
    const name = relative(root, path);
    const text = readFileSync(path, 'utf8');
    if (lineCount(text) > MAX_FILE_LINES) out.push(`${name}: ${lineCount(text)} lines`);
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
        const lines = file.getLineAndCharacterOfPosition(node.end).line - first + 1;
        const id = `${name}:${functionName(node, file)}`;
        if (lines > MAX_FUNCTION_LINES) out.push(`${id} (line ${first + 1}): ${lines} lines`);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return out;
}

const sizeViolations = oversized;

const unknownCasts = (root: string) =>
  files(root)
    .map((path) => relative(root, path))
    .filter((name) => readFileSync(join(root, name), 'utf8').includes('as unknown as'));

describe('size rules: small files, short functions, no `as unknown as` in src/', () => {
  it(`has no file over ${MAX_FILE_LINES} lines and no function over ${MAX_FUNCTION_LINES}`, () => {
    expect(sizeViolations(src)).toEqual([]);
  });

  it('has no `as unknown as`', () => {
    expect(unknownCasts(src)).toEqual([]);
  });

  it('names the long file and the long function (the check itself can fail)', () => {
    const root = mkdtempSync(join(tmpdir(), 'kb-sizes-'));
    try {
      const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
      writeFileSync(join(root, 'long.ts'), `export function tooLong() {\n${body}\n}\n`);
      writeFileSync(join(root, 'big.ts'), 'export const x = 1;\n'.repeat(MAX_FILE_LINES + 1));
      writeFileSync(join(root, 'cast.ts'), 'export const y = 1 as unknown as string;\n');
      expect(sizeViolations(root).sort()).toEqual([
        `big.ts: ${MAX_FILE_LINES + 1} lines`,
        `long.ts:tooLong (line 1): ${MAX_FUNCTION_LINES + 2} lines`,
      ]);
      expect(unknownCasts(root)).toEqual(['cast.ts']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
