/**
 * The one client of our own REST API (`/api/v1`): the CLI's `--server` mode, the queue worker's model download
 * and the web UI use it. Its parameter and result types are the routes' schemas' types (`./schemas.ts`); it
 * imports them as types only, so a browser bundle carries no schema code.
 */
import type {
  ApiKeyCreated,
  ApiKeyInput,
  ApiKeyView,
  AuditEntryView,
  AuditQuery,
  MeView,
} from './access-schemas.js';
import type { JobReportDoc, RerunQuery, ValidateQuery, ValidationResult } from './job-schemas.js';
import type {
  CascadeQuery,
  ConnectionInput,
  ConnectionView,
  DeploymentDeleteQuery,
  DeploymentInput,
  DeploymentPatch,
  DeploymentQuery,
  DeploymentView,
  FailureView,
  JobQuery,
  JobView,
  ModelCreated,
  ModelDeleteQuery,
  ModelPatch,
  ModelVersionView,
  ModelView,
  ObjectListing,
  ObjectPreview,
  ObjectQuery,
  ObjectsQuery,
  OnlineInput,
  OnlineOutput,
  Page,
  PageQuery,
  TestResult,
} from './schemas.js';

export type * from './access-schemas.js';
export type * from './job-schemas.js';
/** Roles and how they nest (plain data: the web UI hides what a key's role cannot do). */
export { KEY_ROLES, type KeyRole, type RoleNeed, roleMeets } from './roles.js';
export type * from './schemas.js';

/** Why a call failed: the answer's status (0: no answer), and the `{"error"}` body's code and message if any. */
export interface ApiCallFailure {
  /** The HTTP status, or 0 when the server did not answer (`cause` says why). */
  status: number;
  code?: string;
  message?: string;
  /** The answer's text (empty when there was none). */
  text: string;
  cause?: unknown;
  /** The API key the call was sent with. */
  apiKey?: string;
}

/** What a failed call throws by default. */
export class ApiCallError extends Error {
  constructor(readonly failure: ApiCallFailure) {
    super(
      failure.message ??
        (failure.status === 0
          ? `the server does not answer: ${String(failure.cause)}`
          : `HTTP ${failure.status}`),
    );
  }
}

export interface ApiClientOptions {
  /** The server's URL (`http://host:8080`); `''` for the page's own origin in a browser. */
  baseUrl: string;
  /** The bearer API key, or where to read it for each call (the web UI's session). */
  apiKey?: string | null | (() => string | null | undefined);
  fetch?: typeof fetch;
  /** The error a failed call throws (default {@link ApiCallError}): each caller keeps its own messages. */
  toError?: (failure: ApiCallFailure) => Error;
}

type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

/** `?a=1&b=x` of the defined values (arrays repeat the name), or ''. */
export function queryString(query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) q.append(name, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

const seg = encodeURIComponent;

export type ApiClient = ReturnType<typeof createApiClient>;

/** `scoreOnlineText`'s answer: the text as the server wrote it (Python-style numbers), and parsed. */
async function withText(answer: Promise<Response>): Promise<{ text: string; output: OnlineOutput }> {
  const text = await (await answer).text();
  return { text, output: JSON.parse(text) as OnlineOutput };
}

/** A typed client of `/api/v1` (one method per route; uploads take a ready `FormData`). */
export function createApiClient(options: ApiClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const toError = options.toError ?? ((f: ApiCallFailure) => new ApiCallError(f));
  const keyNow = () =>
    (typeof options.apiKey === 'function' ? options.apiKey() : options.apiKey) ?? undefined;

  /** Sends a request; a non-2xx answer or no answer throws `toError(...)`. */
  async function send(
    method: string,
    path: string,
    body?: unknown,
    extra: { accept?: string; signal?: AbortSignal } = {},
  ) {
    const apiKey = keyNow();
    const headers: Record<string, string> = extra.accept ? { accept: extra.accept } : {};
    const init: RequestInit = { method, headers, signal: extra.signal };
    if (apiKey) init.headers = { ...headers, authorization: `Bearer ${apiKey}` };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, init);
    } catch (cause) {
      if (extra.signal?.aborted) throw cause;
      throw toError({ status: 0, text: '', cause, apiKey });
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    throw toError({ status: res.status, text, apiKey, ...errorOf(text) });
  }

  /** A JSON call: the parsed answer. */
  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return JSON.parse(await (await send(method, path, body)).text());
  }
  const get = <T>(path: string) => json<T>('GET', path);
  const post = <T>(path: string, body?: unknown) => json<T>('POST', path, body);
  const remove = async (path: string): Promise<void> => {
    await (await send('DELETE', path)).arrayBuffer();
  };

  return {
    ...lifecycleCalls(json, remove),
    listModels: (page?: PageQuery) => get<Page<ModelView>>(`/api/v1/models${queryString(page)}`),
    getModel: (id: string) => get<ModelView>(`/api/v1/models/${seg(id)}`),
    /** Multipart `file`, optional `architecture`, `name`, `description`, `author`. */
    createModel: (form: FormData) => post<ModelCreated>('/api/v1/models', form),
    listVersions: (id: string) => get<{ items: ModelVersionView[] }>(`/api/v1/models/${seg(id)}/versions`),
    /** Multipart `file`, optional `architecture` and `author`. */
    addVersion: (id: string, form: FormData) =>
      post<ModelVersionView>(`/api/v1/models/${seg(id)}/versions`, form),
    getVersion: (id: string, version: string | number) =>
      get<ModelVersionView>(`/api/v1/models/${seg(id)}/versions/${seg(String(version))}`),
    /** A version's file as uploaded, or its architecture JSON. */
    async versionFile(id: string, version: string, part: 'model' | 'architecture' = 'model') {
      const query = part === 'architecture' ? '?part=architecture' : '';
      const res = await send('GET', `/api/v1/models/${seg(id)}/versions/${seg(version)}/file${query}`);
      return new Uint8Array(await res.arrayBuffer());
    },

    listConnections: (page?: PageQuery) =>
      get<Page<ConnectionView>>(`/api/v1/connections${queryString(page)}`),
    getConnection: (id: string) => get<ConnectionView>(`/api/v1/connections/${seg(id)}`),
    createConnection: (input: ConnectionInput) => post<ConnectionView>('/api/v1/connections', input),
    testConnection: (input: ConnectionInput) => post<TestResult>('/api/v1/connections/test', input),
    listBuckets: (id: string) => get<{ items: string[] }>(`/api/v1/connections/${seg(id)}/buckets`),
    listObjects: (id: string, query: ObjectsQuery) =>
      get<ObjectListing>(`/api/v1/connections/${seg(id)}/objects${queryString(query)}`),
    previewObject: (id: string, query: ObjectQuery) =>
      get<ObjectPreview>(`/api/v1/connections/${seg(id)}/object${queryString(query)}`),

    listDeployments: (query?: DeploymentQuery) =>
      get<Page<DeploymentView>>(`/api/v1/deployments${queryString(query)}`),
    getDeployment: (id: string) => get<DeploymentView>(`/api/v1/deployments/${seg(id)}`),
    createDeployment: (input: DeploymentInput) => post<DeploymentView>('/api/v1/deployments', input),
    validateDeployment: (input: DeploymentInput, query?: ValidateQuery) =>
      post<ValidationResult>(`/api/v1/deployments/validate${queryString(query)}`, input),
    runDeployment: (id: string) => post<JobView>(`/api/v1/deployments/${seg(id)}/run`),
    scoreOnline: (id: string, input: OnlineInput) =>
      post<OnlineOutput>(`/api/v1/deployments/${seg(id)}/online`, input),
    scoreOnlineText: (id: string, input: OnlineInput) =>
      withText(send('POST', `/api/v1/deployments/${seg(id)}/online`, input)),

    listJobs: (query?: JobQuery) => get<Page<JobView>>(`/api/v1/jobs${queryString(query)}`),
    getJob: (id: string) => get<JobView>(`/api/v1/jobs/${seg(id)}`),
    jobFailures: (id: string, page?: PageQuery) =>
      get<Page<FailureView>>(`/api/v1/jobs/${seg(id)}/failures${queryString(page)}`),
    cancelJob: (id: string) => post<JobView>(`/api/v1/jobs/${seg(id)}/cancel`),
    rerunJob: (id: string, query?: RerunQuery) =>
      post<JobView>(`/api/v1/jobs/${seg(id)}/rerun${queryString(query)}`),
    jobReport: (id: string) => get<JobReportDoc>(`/api/v1/jobs/${seg(id)}/report`),
    async jobFailuresFile(id: string, format: 'jsonl' | 'csv'): Promise<string> {
      return (await send('GET', `/api/v1/jobs/${seg(id)}/failures.${format}`)).text();
    },
    /** The key of this client: its id, name and role. */
    me: () => get<MeView>('/api/v1/me'),
    listKeys: () => get<{ items: ApiKeyView[] }>('/api/v1/keys'),
    createKey: (input: ApiKeyInput) => post<ApiKeyCreated>('/api/v1/keys', input),
    deleteKey: (id: string) => remove(`/api/v1/keys/${seg(id)}`),
    audit: (query?: AuditQuery) => get<Page<AuditEntryView>>(`/api/v1/audit${queryString(query)}`),
    /**
     * Follows `GET /api/v1/jobs/{id}/events` (server-sent events, with the bearer header EventSource cannot
     * send): `onJob` gets each `job` event; resolves when the stream ends; abort with the signal.
     */
    async followJob(id: string, onJob: (job: JobView) => void, signal?: AbortSignal): Promise<void> {
      const res = await send('GET', `/api/v1/jobs/${seg(id)}/events`, undefined, {
        accept: 'text/event-stream',
        signal,
      });
      if (!res.body) return;
      await readEvents(res.body, (event, data) => {
        if (event === 'job' && data) onJob(JSON.parse(data));
      });
    },
  };
}

/** Edits and deletes of models, connections and deployments (the lifecycle calls). */
function lifecycleCalls(
  json: <T>(method: string, path: string, body?: unknown) => Promise<T>,
  remove: (path: string) => Promise<void>,
) {
  return {
    updateModel: (id: string, patch: ModelPatch) =>
      json<ModelView>('PATCH', `/api/v1/models/${seg(id)}`, patch),
    /** `deployments: 'delete'` deletes the deployments using it first (else 409 while there are any). */
    deleteModel: (id: string, query?: ModelDeleteQuery) =>
      remove(`/api/v1/models/${seg(id)}${queryString(query)}`),
    /** `deployments: 'delete'` deletes the deployments using it first (their job records per `jobs`). */
    deleteConnection: (id: string, query?: CascadeQuery) =>
      remove(`/api/v1/connections/${seg(id)}${queryString(query)}`),
    updateDeployment: (id: string, patch: DeploymentPatch) =>
      json<DeploymentView>('PATCH', `/api/v1/deployments/${seg(id)}`, patch),
    /** `jobs: 'keep'` keeps its job records (deleted by default); outputs in the target are never deleted. */
    deleteDeployment: (id: string, query?: DeploymentDeleteQuery) =>
      remove(`/api/v1/deployments/${seg(id)}${queryString(query)}`),
  };
}

/** The `{"error": {"code", "message"}}` of an answer's text, if it is one. */
export function errorOf(text: string): { code?: string; message?: string } {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && 'error' in body) {
      const { error } = body;
      if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') {
        const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
        return { code, message: error.message };
      }
    }
  } catch {
    // not JSON
  }
  return {};
}

/** Calls `onEvent(event, data)` for each server-sent event of a stream until it ends. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string | undefined, data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const event = lines
        .find((l) => l.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      onEvent(event, data);
      end = buffer.indexOf('\n\n');
    }
  }
}
