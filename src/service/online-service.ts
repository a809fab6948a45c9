import type { ModelVersionRow, Repository } from '../repository/index.js';
import { FIELDS, recordValues, shapeRecords } from '../scoring/index.js';
import type { EngineCache } from './engine-cache.js';
import { valuesFromJson } from './json-values.js';

/** How long a deployment → model version lookup is trusted (online scoring is hot). */
const LOOKUP_MS = 5000;

/** Online scoring of a deployment's model version with the seed's payload. */
export class OnlineService {
  private readonly lookups = new Map<string, { version: ModelVersionRow; until: number }>();

  constructor(
    private readonly repo: Repository,
    private readonly engines: EngineCache,
  ) {}

  /**
   * Scores `{"values": ...}` (one record, with or without the batch axis, or many): the seed's fields and one
   * `[prediction, class, probability]` row per record, as JSON text.
   */
  async score(deploymentId: string, values: unknown): Promise<{ body: string; records: number }> {
    return this.engines.use(await this.version(deploymentId), async (model) => {
      const inputs = model.engine.inputs;
      const stringInputs = inputs.map((i) => i.dtype === 'string');
      const records = shapeRecords(valuesFromJson(values, inputs.length, stringInputs), inputs);
      const outputs = await model.batcher.add(records);
      const rows: string[] = [];
      for (let r = 0; r < records.count; r += 1) rows.push(recordValues(outputs, r));
      return {
        body: `{"fields": ${JSON.stringify(FIELDS)}, "values": [${rows.join(', ')}]}`,
        records: records.count,
      };
    });
  }

  /** Forgets a deployment's lookup (it was deleted). */
  forget(deploymentId: string): void {
    this.lookups.delete(deploymentId);
  }

  private async version(deploymentId: string): Promise<ModelVersionRow> {
    const hit = this.lookups.get(deploymentId);
    if (hit && hit.until > Date.now()) return hit.version;
    const deployment = await this.repo.deployments.get(deploymentId);
    const version = await this.repo.models.getVersion(deployment.model_version_id);
    if (this.lookups.size > 1000) this.lookups.clear();
    this.lookups.set(deploymentId, { version, until: Date.now() + LOOKUP_MS });
    return version;
  }
}
