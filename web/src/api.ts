/** The /api/v1 client of the web UI: bearer key from sessionStorage, JSON errors, upload progress, SSE. */

const KEY = 'keras-batch.api-key';

export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An error a route answered with (`{"error": {"code", "message"}}`), or a network failure (status 0). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => undefined;
/** Called when a request is refused with 401 (the key was deleted): the UI signs out. */
export const setUnauthorizedHandler = (f: () => void) => {
  onUnauthorized = f;
};

const failure = (status: number, text: string): ApiFailure => {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ApiFailure(status, body.error.code ?? 'ERROR', body.error.message);
  } catch {
    // not JSON
  }
  return new ApiFailure(status, 'HTTP_ERROR', `the server answered ${status}`);
};

/** A JSON request; throws {@link ApiFailure}. */
export async function api<T>(method: string, path: string, body?: unknown, key = session.get()): Promise<T> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'the server cannot be reached: is `keras-batch serve` running?');
  }
  const text = await res.text();
  if (!res.ok) {
    if (res.status === 401 && key === session.get()) onUnauthorized();
    throw failure(res.status, text);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A multipart upload with progress (0..1), through XMLHttpRequest (fetch has no upload progress). */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const key = session.get();
    if (key) xhr.setRequestHeader('authorization', `Bearer ${key}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as T);
      else {
        if (xhr.status === 401) onUnauthorized();
        reject(failure(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () => reject(new ApiFailure(0, 'NETWORK', 'the upload was interrupted: try again'));
    xhr.send(form);
  });
}

/**
 * Follows `GET /api/v1/jobs/{id}/events` (server-sent events) with the bearer header, which EventSource
 * cannot send. Calls `onJob` for each `job` event; resolves when the stream ends; abort with the signal.
 */
export async function followJob(id: string, onJob: (job: Job) => void, signal: AbortSignal): Promise<void> {
  const key = session.get();
  const res = await fetch(`/api/v1/jobs/${encodeURIComponent(id)}/events`, {
    headers: key ? { authorization: `Bearer ${key}`, accept: 'text/event-stream' } : {},
    signal,
  });
  if (!res.ok || !res.body) throw failure(res.status, await res.text());
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const event = lines
        .find((l) => l.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (event === 'job' && data) onJob(JSON.parse(data) as Job);
      end = buffer.indexOf('\n\n');
    }
  }
}

// The API's JSON shapes, from the server's own definitions (types only: nothing of the server is bundled).
import type {
  ConnectionView as Connection,
  DeploymentView as Deployment,
  FailureView as Failure,
  JobView as Job,
  JobStatus,
  ModelView as Model,
  Page,
  LocationView as Place,
  TensorView as Tensor,
  ModelVersionView as Version,
} from '../../src/service/view-types';

export type { Connection, Deployment, Failure, Job, JobStatus, Model, Page, Place, Tensor, Version };

export interface Listing {
  items: { key: string; size: number; last_modified: string }[];
  count: number;
  count_capped: boolean;
}

export interface Preview {
  key: string;
  size: number;
  text: string;
  truncated: boolean;
}

export interface Scored {
  fields: string[];
  values: [unknown, unknown, unknown][];
}

export const placeQuery = (p: { bucket?: string | null; prefix?: string }) => {
  const q = new URLSearchParams();
  if (p.bucket) q.set('bucket', p.bucket);
  if (p.prefix) q.set('prefix', p.prefix);
  return q;
};
