/**
 * "Clone" of a job: its deployment's settings handed to the Add Deployment form (through this tab's session
 * storage), which starts prefilled with them.
 */
import type { Deployment } from './api';
import type { BatchForm } from './validate';

const KEY = 'keras-batch.clone';

type Prefill = BatchForm & { extra?: Deployment['options']; model: string };

/** Keeps a deployment's settings for the Add Deployment form of its model; returns where that form is. */
export function cloneDeployment(d: Deployment): string {
  const place = (p: Deployment['source']) => ({
    connection: p?.connection_id ?? '',
    bucket: p?.bucket ?? '',
    prefix: p?.prefix ?? '',
  });
  const { batch_size, max_failures, ...extra } = d.options;
  const prefill: Prefill = {
    model: d.model_id,
    name: `${d.name}-copy`,
    description: d.description,
    source: place(d.source),
    target: place(d.target),
    batch_size: batch_size ? String(batch_size) : '',
    max_failures: max_failures ?? '',
    extra,
  };
  sessionStorage.setItem(KEY, JSON.stringify(prefill));
  return `#/models/${encodeURIComponent(d.model_id)}/add`;
}

/** The settings a Clone left for this model's form (taken once), or null. */
export function takeClone(modelId: string): (BatchForm & { extra?: Deployment['options'] }) | null {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  try {
    const prefill = JSON.parse(text) as Prefill;
    if (prefill.model !== modelId) return null;
    sessionStorage.removeItem(KEY);
    const { model: _model, ...form } = prefill;
    return form;
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}
