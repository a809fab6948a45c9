/**
 * The records of the WML v4 routes IBM's `ibm-watson-machine-learning` client reads: the one space, the
 * software specifications, models, deployments and deployment jobs. URLs are absolute, from the request's
 * own scheme and host.
 */
import type { SoftwareSpec, Space, V4Deployment, V4Job, V4Model } from '../contract/index.js';
import type { DeploymentJobView, DeploymentView, ModelView } from '../service/index.js';
import { VERSION } from '../util/version.js';

/** The one space every v4 record is in (a UUID: the client takes space ids as such). */
export const SPACE_ID = '6b657261-732d-4261-a463-680000000001';
const STARTED = new Date().toISOString();

export function space(origin: string): Space {
  return {
    metadata: { id: SPACE_ID, url: `${origin}/v2/spaces/${SPACE_ID}`, created_at: STARTED },
    entity: {
      name: 'keras-batch',
      description: "keras-batch's one deployment space: every model, deployment and job",
      status: { state: 'active' },
      stage: { production: false },
    },
  };
}

/** The software specifications a Keras model may name: all run on keras-batch's own engine. */
const SPEC_NAMES = ['tensorflow_rt22.1-py3.9', 'tensorflow_rt23.1-py3.10', 'runtime-23.1-py3.10'];
export const specId = (name: string) => `6b657261-732d-4273-a70${SPEC_NAMES.indexOf(name)}-737065630000`;

export function softwareSpecs(name?: string): SoftwareSpec[] {
  return SPEC_NAMES.filter((n) => !name || n === name).map((n) => ({
    metadata: {
      asset_id: specId(n),
      name: n,
      asset_type: 'software_specification',
      href: `/v2/software_specifications/${specId(n)}`,
    },
    entity: {
      software_specification: {
        type: 'base',
        display_name: `TensorFlow/Keras (${n}, scored by keras-batch ${VERSION})`,
        software_configuration: {
          platform: { name: 'python', version: n.endsWith('3.9') ? '3.9' : '3.10' },
          included_packages: [{ name: 'keras' }, { name: 'tensorflow' }],
        },
      },
    },
  }));
}

/** A model announced by `POST /ml/v4/models` whose file has not come yet. */
export interface PendingV4Model {
  id: string;
  name: string;
  description: string;
  type: string;
  software_spec: { id?: string; name?: string };
  created_at: string;
}

/** A `/ml/v4/models` record: pending (content not yet uploaded) or stored. */
export function v4Model(m: PendingV4Model | ModelView, type = 'tensorflow_2.7'): V4Model {
  const stored = 'updated_at' in m;
  const version = stored ? m.versions?.[0] : undefined;
  return {
    metadata: {
      id: m.id,
      name: m.name,
      description: m.description,
      space_id: SPACE_ID,
      created_at: m.created_at,
      modified_at: stored ? m.updated_at : m.created_at,
      owner: stored ? (m.author ?? '') : '',
      rev: String(version?.version ?? 1),
    },
    entity: {
      type: stored ? type : m.type,
      software_spec: stored ? { id: specId(SPEC_NAMES[0]), name: SPEC_NAMES[0] } : m.software_spec,
      content_import_state: stored ? 'completed' : 'pending',
      ...(version ? { keras_batch: { version: version.version, keras_version: version.keras_version } } : {}),
    },
  };
}

/** A `/ml/v4/deployments` record: ready at once (the model was compiled when stored). */
export function v4Deployment(origin: string, d: DeploymentView): V4Deployment {
  const predictions = `${origin}/ml/v4/deployments/${d.id}/predictions`;
  return {
    metadata: {
      id: d.id,
      name: d.name,
      description: d.description,
      space_id: SPACE_ID,
      created_at: d.created_at,
      modified_at: d.created_at,
    },
    entity: {
      name: d.name,
      description: d.description,
      asset: { id: d.model_id, rev: String(d.model_version) },
      space_id: SPACE_ID,
      deployed_asset_type: 'model',
      ...(d.type === 'online' ? { online: {} } : { batch: {} }),
      hardware_spec: { name: 'S', num_nodes: 1 },
      status: {
        state: 'ready',
        ...(d.type === 'online' ? { online_url: { url: predictions }, serving_urls: [predictions] } : {}),
      },
    },
  };
}

/** A `/ml/v4/deployment_jobs` record; a deployment's own job shows its state and counts only. */
export function v4Job(view: DeploymentJobView): V4Job {
  const { job, spec } = view;
  const final = job.status === 'completed' || job.status === 'failed' || job.status === 'canceled';
  const status = {
    state: job.status,
    queued_at: job.created_at,
    ...(job.started_at ? { running_at: job.started_at } : {}),
    ...(final && job.finished_at ? { completed_at: job.finished_at } : {}),
    ...(job.status_message ? { message: { level: 'info', text: job.status_message } } : {}),
    ...(job.status === 'failed'
      ? {
          failure: {
            trace: job.id,
            errors: [{ code: 'job_failed', message: job.status_message ?? 'the job failed' }],
          },
        }
      : {}),
  };
  const request = (spec?.request ?? {}) as { scoring?: Record<string, unknown> };
  return {
    metadata: {
      id: job.id,
      name: spec?.name ?? `job ${job.id}`,
      space_id: SPACE_ID,
      created_at: job.created_at,
      modified_at: job.finished_at ?? job.started_at ?? job.created_at,
    },
    entity: {
      deployment: { id: job.deployment_id },
      platform_job: { job_id: job.id, run_id: `${job.id}-${job.attempts}` },
      hardware_spec: { name: 'S', num_nodes: 1 },
      scoring: {
        ...(request.scoring ?? {}),
        ...(spec?.predictions ? { predictions: spec.predictions } : {}),
        status,
        keras_batch: {
          counts: job.counts,
          progress: job.progress,
          failures: `/api/v1/jobs/${job.id}/failures`,
        },
      },
    },
  };
}
