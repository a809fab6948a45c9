/**
 * The records IBM's WML clients read beyond the seed's flow: the instance, `/v3/ml_assets/models` and
 * instance-wide deployments. Their URLs are absolute (the clients request them as given), made from the
 * request's own scheme and host.
 */
import type { FastifyRequest } from 'fastify';
import type { MlAssetModel, WmlInstance, WmlInstanceDeployment } from '../contract/index.js';
import type { DeploymentView, ModelView } from '../service/index.js';
import { v3Base } from './wml-views.js';

/** `https://host:port` as the client reached us. */
export const originOf = (req: FastifyRequest): string => `${req.protocol}://${req.host}`;

/** A model announced by `POST /v3/ml_assets/models` whose file has not come yet. */
export interface PendingModel {
  id: string;
  name: string;
  description: string;
  author: string;
  framework: { name: string; version: string };
  created_at: string;
}

const STARTED = new Date().toISOString();

export function wmlInstance(origin: string, instanceId: string): WmlInstance {
  const url = `${origin}${v3Base(instanceId)}`;
  return {
    metadata: { guid: instanceId, url, created_at: STARTED, modified_at: STARTED },
    entity: {
      source: 'keras-batch',
      published_models: { url: `${url}/published_models` },
      deployments: { url: `${url}/deployments` },
      status: 'Active',
      plan: 'keras-batch',
      plan_id: 'keras-batch',
      usage: {},
    },
  };
}

const modelTypeOf = (m: ModelView) => `keras-${m.versions?.[0]?.keras_version ?? 'unknown'}`;

/** A `/v3/ml_assets/models` record: pending (file not yet uploaded) or stored. */
export function mlAssetModel(origin: string, m: PendingModel | ModelView): MlAssetModel {
  const url = `${origin}/v3/ml_assets/models/${m.id}`;
  const stored = 'updated_at' in m;
  const version = stored ? m.versions?.[0] : undefined;
  const versionId = version?.id ?? m.id;
  const keras = version?.keras_version ?? (stored ? 'unknown' : m.framework.version);
  return {
    metadata: {
      guid: m.id,
      url,
      created_at: m.created_at,
      modified_at: stored ? m.updated_at : m.created_at,
    },
    entity: {
      name: m.name,
      description: m.description,
      author: { name: m.author ?? '' },
      framework: stored ? { name: 'keras', version: keras } : m.framework,
      model_type: stored ? modelTypeOf(m) : `${m.framework.name}-${m.framework.version}`,
      status: stored ? 'stored' : 'pending',
      model_version: {
        guid: versionId,
        url: `${url}/versions/${versionId}`,
        content_url: `${url}/versions/${versionId}/content`,
      },
    },
  };
}

/** An instance-wide deployment: online ones are `DEPLOY_SUCCESS` as WML named them, batch ones their job's state. */
export function wmlInstanceDeployment(
  origin: string,
  instanceId: string,
  d: DeploymentView,
  model: ModelView,
): WmlInstanceDeployment {
  const base = `${origin}${v3Base(instanceId)}`;
  const modelUrl = `${base}/published_models/${d.model_id}`;
  const status = d.type === 'online' ? 'DEPLOY_SUCCESS' : (d.last_job?.wml_status ?? 'INITIALIZING');
  const job = d.last_job;
  return {
    metadata: {
      guid: d.id,
      url: `${base}/deployments/${d.id}`,
      created_at: d.created_at,
      modified_at: job?.finished_at ?? job?.started_at ?? d.created_at,
    },
    entity: {
      name: d.name,
      description: d.description,
      type: d.type,
      status,
      status_details: { status, job: job ? { guid: job.id, status: job.status, counts: job.counts } : null },
      model_type: modelTypeOf(model),
      runtime_environment: 'keras-batch',
      deployable_asset: { guid: d.model_id, name: model.name, url: modelUrl, type: 'model' },
      published_model: { guid: d.model_id, name: model.name, url: modelUrl, version: d.model_version },
      scoring_url: d.type === 'online' ? `${modelUrl}/deployments/${d.id}/online` : null,
      options: d.options,
    },
  };
}
