/**
 * WML v3 shapes (`{"metadata": {...}, "entity": {...}}`) of our records, so a client written for WML's
 * API reads them. Connections (and so COS keys) are never part of them: WML echoed keys back, we do not.
 */
import type { WmlDeployment, WmlModel } from '../contract/index.js';
import type { ConnectionView, DeploymentView, ModelView } from '../service/index.js';

export const v3Base = (instanceId: string): string => `/v3/wml_instances/${encodeURIComponent(instanceId)}`;

export function wmlModel(m: ModelView, instanceId: string, deployments: number): WmlModel {
  const url = `${v3Base(instanceId)}/published_models/${m.id}`;
  const latest = m.versions?.[0];
  return {
    metadata: { guid: m.id, url, created_at: m.created_at, modified_at: m.updated_at },
    entity: {
      name: m.name,
      description: m.description,
      author: { name: m.author ?? '' },
      model_type: `keras-${latest?.keras_version ?? 'unknown'}`,
      runtime_environment: 'keras-batch',
      framework: { name: 'keras', version: latest?.keras_version ?? 'unknown' },
      latest_version: latest
        ? {
            guid: latest.id,
            version: latest.version,
            url: `${url}/versions/${latest.id}`,
            created_at: latest.created_at,
          }
        : null,
      deployments: { count: deployments, url: `${url}/deployments` },
      input_data_schema: latest ? { inputs: latest.inputs } : null,
      output_data_schema: latest ? { outputs: latest.outputs } : null,
      size: latest?.size ?? 0,
      sha256: latest?.sha256 ?? '',
    },
  };
}

function wmlLocation(kind: 'source' | 'target', d: DeploymentView, connection: ConnectionView | undefined) {
  const place = kind === 'source' ? d.source : d.target;
  if (!place) return undefined;
  const at = <T>(where: T) => (kind === 'source' ? { source: where } : { target: where });
  if (connection?.type === 'local') {
    const path = [connection.path, place.bucket, place.prefix].filter(Boolean).join('/').replace(/\/+/g, '/');
    return { type: 'local' as const, ...at({ path }), connection: { id: connection.id } };
  }
  return {
    type: 'cloudobjectstorage' as const,
    ...at({ bucket: place.bucket, ...(place.prefix ? { prefix: place.prefix } : {}) }),
    connection: {
      id: place.connection_id,
      url: connection?.endpoint ?? null,
      access_key_hint: connection?.access_key_hint ?? null,
    },
  };
}

export function wmlDeployment(
  d: DeploymentView,
  instanceId: string,
  modelName: string,
  connections: Map<string, ConnectionView>,
): WmlDeployment {
  const modelUrl = `${v3Base(instanceId)}/published_models/${d.model_id}`;
  const url = `${modelUrl}/deployments/${d.id}`;
  const job = d.last_job;
  const status = d.type === 'online' ? 'SUCCESS' : (job?.wml_status ?? 'INITIALIZING');
  return {
    metadata: {
      guid: d.id,
      url,
      created_at: d.created_at,
      modified_at: job?.finished_at ?? job?.started_at ?? d.created_at,
    },
    entity: {
      name: d.name,
      description: d.description,
      type: d.type,
      status,
      status_details: {
        status,
        job: job
          ? {
              guid: job.id,
              status: job.status,
              message: job.status_message,
              counts: job.counts,
              progress: job.progress,
              started_at: job.started_at,
              finished_at: job.finished_at,
              failures_url: `/api/v1/jobs/${job.id}/failures`,
            }
          : null,
      },
      published_model: { guid: d.model_id, name: modelName, url: modelUrl, version: d.model_version },
      scoring_url: `${url}/online`,
      input: wmlLocation('source', d, d.source ? connections.get(d.source.connection_id) : undefined),
      output: wmlLocation('target', d, d.target ? connections.get(d.target.connection_id) : undefined),
      options: d.options,
    },
  };
}
