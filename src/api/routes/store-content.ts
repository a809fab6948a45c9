import type { KerasBatchService, ModelView } from '../../service/index.js';
import { freeName } from './free-name.js';

/** Stores uploaded content: the announced model's first version, or a new version of a stored model. */
export async function storeContent(
  service: KerasBatchService,
  modelId: string,
  file: { name: string; path: string },
  announced: { id: string; name: string; description: string; author?: string | null } | undefined,
): Promise<ModelView> {
  if (announced) {
    await service.createModel({
      id: announced.id,
      name: await freeName((n) => service.models.exists(n), announced.name, 'models'),
      description: announced.description,
      author: announced.author || undefined,
      file,
    });
    return service.getModel(announced.id);
  }
  await service.addVersion((await service.getModel(modelId)).id, { file });
  return service.getModel(modelId);
}
