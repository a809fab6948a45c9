import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadModel } from '../keras/index.js';
import type { ModelDescription } from '../keras/model.js';
import { ModelLoadError } from '../util/errors.js';
import { createEngine } from './index.js';
import type { Engine, EngineOptions } from './types.js';

/** A model file read, normalized and compiled, ready to score. */
export interface OpenModel {
  description: ModelDescription;
  engine: Engine;
  /** sha256 of the model file (and of the architecture JSON, when one was given): identifies what produced an output. */
  sha256: string;
  /** Milliseconds from reading the file to a compiled engine. */
  loadMs: number;
}

export interface OpenModelOptions extends EngineOptions {
  /** Path of an architecture JSON (`model.to_json()`) for a weights-only `.h5`. */
  architecture?: string;
}

/** Reads a model file, normalizes it, and compiles it on the best backend. */
export async function openModel(path: string, options: OpenModelOptions = {}): Promise<OpenModel> {
  const started = performance.now();
  const bytes = new Uint8Array(await readModelFile(path, 'model'));
  const architecture = options.architecture
    ? new Uint8Array(await readModelFile(options.architecture, 'architecture'))
    : undefined;
  const name = path.split(/[\\/]/).pop() ?? path;
  return openModelBytes(bytes, { architecture, name, threads: options.threads }, started);
}

/** Options of {@link openModelBytes}. */
export interface OpenModelBytesOptions extends EngineOptions {
  /** The architecture JSON's bytes for a weights-only `.h5`. */
  architecture?: Uint8Array;
  /** The file name (for messages). */
  name: string;
}

/** Normalizes and compiles a model held in memory (a stored model version); hashed as {@link openModel} does. */
export async function openModelBytes(
  bytes: Uint8Array,
  options: OpenModelBytesOptions,
  started = performance.now(),
): Promise<OpenModel> {
  const sha256 = modelSha256(bytes, options.architecture);
  const description = await loadModel(bytes, { architecture: options.architecture, name: options.name });
  const engine = await createEngine(description, { threads: options.threads });
  return { description, engine, sha256, loadMs: performance.now() - started };
}

/**
 * What identifies a model everywhere (stored versions, the compiled-model cache, the resume ledger, shards):
 * sha256 of the file's bytes, then of the architecture JSON's when there is one.
 */
export function modelSha256(bytes: Uint8Array, architecture?: Uint8Array): string {
  const hash = createHash('sha256').update(bytes);
  if (architecture) hash.update(architecture);
  return hash.digest('hex');
}

async function readModelFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
    throw new ModelLoadError('KERAS_FILE_UNREADABLE', `${what} file ${path} ${reason}`, { cause: error });
  }
}
