import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';

/**
 * `--model` of `score`: a model file path, or else the id or name of a model stored in the embedded
 * repository (its latest version; written to a temporary folder when its artifact is not a local file).
 */
export async function resolveModelOption(
  model: string,
  architecture: string | undefined,
  dataDir = '.keras-batch',
): Promise<{ path: string; architecture?: string }> {
  if (existsSync(model) || !existsSync(join(dataDir, 'keras-batch.sqlite')))
    return { path: model, architecture };
  const { openService } = await import('../../service/index.js');
  const service = await openService({ dataDir, logger: pino({ level: 'silent' }) });
  try {
    const row = await service.repo.models.findModel(model);
    if (!row) return { path: model, architecture };
    const stored = await service.modelArtifact(row.id);
    const dir = await mkdtemp(join(tmpdir(), 'kb-model-'));
    const path = join(dir, stored.fileName.replace(/[^A-Za-z0-9._-]/g, '_') || 'model.h5');
    await writeFile(path, stored.file);
    let arch: string | undefined;
    if (stored.architecture) {
      arch = join(dir, 'architecture.json');
      await writeFile(arch, stored.architecture);
    }
    return { path, architecture: arch };
  } finally {
    await service.close();
  }
}
