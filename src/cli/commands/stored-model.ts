import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pino } from 'pino';
import { openModelInThread } from '../../engine/model-thread/index.js';
import type { OpenModel } from '../../engine/open-model.js';

/** The model `--model` names: a file here, or a model stored in the embedded repository (its latest version). */
export type ModelOption =
  | { kind: 'file'; path: string; architecture?: string }
  | {
      kind: 'stored';
      file: Uint8Array;
      architecture?: Uint8Array;
      fileName: string;
      /** The version `score --redis` sends to workers. */
      version: { id: string; sha256: string; fileName: string };
    };

/** `--model` of `score`: a model file path, or else the id or name of a model stored in the data dir. */
export async function resolveModelOption(
  model: string,
  architecture: string | undefined,
  dataDir = '.keras-batch',
): Promise<ModelOption> {
  const asFile: ModelOption = { kind: 'file', path: model, architecture };
  if (existsSync(model) || !existsSync(join(dataDir, 'keras-batch.sqlite'))) return asFile;
  const { openService } = await import('../../service/index.js');
  const service = await openService({ dataDir, logger: pino({ level: 'silent' }) });
  try {
    if (!(await service.models.exists(model))) return asFile;
    const stored = await service.models.artifact(model);
    return { kind: 'stored', ...stored };
  } finally {
    await service.close();
  }
}

/**
 * Loads and compiles the model in a model thread, which then runs it (as `serve` and the workers do): the job's
 * thread reads, parses and writes while a batch is scored (JSON Lines 1.2–1.4x, CSV 1.4–1.7x against the model
 * on the job's thread, docs/limits.md). A stored model goes over straight from its bytes (no temporary file).
 */
export function openModelOption(option: ModelOption, threads?: number): Promise<OpenModel> {
  if (option.kind === 'file') {
    const architecture = option.architecture ? { path: option.architecture } : undefined;
    return openModelInThread({ path: option.path }, { architecture, name: basename(option.path), threads });
  }
  const architecture = option.architecture ? { bytes: option.architecture } : undefined;
  return openModelInThread({ bytes: option.file }, { architecture, name: option.fileName, threads });
}

/**
 * The model as files on this machine, for `score --redis` (workers on this machine may read the copy): a stored
 * model is copied to a temporary folder that `dispose` removes.
 */
export async function modelFiles(
  option: ModelOption,
): Promise<{ path: string; architecture?: string; dispose(): Promise<void> }> {
  if (option.kind === 'file') return { ...option, dispose: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'kb-model-'));
  const path = join(dir, option.fileName.replace(/[^A-Za-z0-9._-]/g, '_') || 'model.h5');
  await writeFile(path, option.file);
  let architecture: string | undefined;
  if (option.architecture) {
    architecture = join(dir, 'architecture.json');
    await writeFile(architecture, option.architecture);
  }
  return { path, architecture, dispose: () => rm(dir, { recursive: true, force: true }) };
}
