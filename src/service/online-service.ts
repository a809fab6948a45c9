import type { Repository } from '../repository/index.js';
import { FIELDS, recordValues, shapeRecords } from '../scoring/index.js';
import type { CachedModel, EngineCache } from './engine-cache.js';
import { valuesFromJson } from './json-values.js';

/** How long a deployment → model version lookup is trusted (online scoring is hot). */
const LOOKUP_MS = 5000;

/** Online scoring of a deployment's model version with the seed's payload. */
export class OnlineService {
  private readonly lookups = new Map<string, { model: CachedModel; until: number }>();

  constructor(
    private readonly repo: Repository,
    private readonly engines: EngineCache,
  ) {}

  /**
   * Scores `{"values": ...}` (one record, with or without the batch axis, or many): the seed's fields and one
   * `[prediction, class, probability]` row per record, as JSON text.
   */
  async score(deploymentId: string, values: unknown): Promise<{ body: string; records: number }> {
    const model = await this.model(deploymentId);
    const records = shapeRecords(valuesFromJson(values, model.engine.inputs.length), model.engine.inputs);
    const outputs = await model.batcher.score(records);
    const rows: string[] = [];
    for (let r = 0; r < records.count; r += 1) rows.push(recordValues(outputs, r));
    return {
      body: `{"fields": ${JSON.stringify(FIELDS)}, "values": [${rows.join(', ')}]}`,
      records: records.count,
    };
  }

  /** Forgets a deployment's lookup (it was deleted). */
  forget(deploymentId: string): void {
    this.lookups.delete(deploymentId);
  }

  private async model(deploymentId: string): Promise<CachedModel> {
    const hit = this.lookups.get(deploymentId);
    if (hit && hit.until > Date.now()) return hit.model;
    const deployment = await this.repo.deployments.get(deploymentId);
    const model = await this.engines.get(await this.repo.models.getVersion(deployment.model_version_id));
    if (this.lookups.size > 1000) this.lookups.clear();
    this.lookups.set(deploymentId, { model, until: Date.now() + LOOKUP_MS });
    return model;
  }
}
