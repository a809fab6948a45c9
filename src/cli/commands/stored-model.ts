import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';

/** The model `--model` names: a file here, and for a stored model the version it is a copy of. */
export interface ModelOption {
  path: string;
  architecture?: string;
  /** Set when `--model` named a stored model: its latest version (what `score --redis` sends to workers). */
  version?: { id: string; sha256: string; fileName: string };
  /** Removes the temporary copy of a stored model's file. */
  dispose(): Promise<void>;
}

/**
 * `--model` of `score`: a model file path, or else the id or name of a model stored in the embedded
 * repository (its latest version, copied to a temporary folder for this process).
 */
export async function resolveModelOption(
  model: string,
  architecture: string | undefined,
  dataDir = '.keras-batch',
): Promise<ModelOption> {
  const asFile: ModelOption = { path: model, architecture, dispose: async () => undefined };
  if (existsSync(model) || !existsSync(join(dataDir, 'keras-batch.sqlite'))) return asFile;
  const { openService } = await import('../../service/index.js');
  const service = await openService({ dataDir, logger: pino({ level: 'silent' }) });
  try {
    if (!(await service.models.exists(model))) return asFile;
    const stored = await service.models.artifact(model);
    const dir = await mkdtemp(join(tmpdir(), 'kb-model-'));
    const path = join(dir, stored.fileName.replace(/[^A-Za-z0-9._-]/g, '_') || 'model.h5');
    await writeFile(path, stored.file);
    let arch: string | undefined;
    if (stored.architecture) {
      arch = join(dir, 'architecture.json');
      await writeFile(arch, stored.architecture);
    }
    return {
      path,
      architecture: arch,
      version: stored.version,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } finally {
    await service.close();
  }
}
