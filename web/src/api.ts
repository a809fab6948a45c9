/**
 * The web UI's use of the API client (`src/contract/client.ts`): the bearer key from sessionStorage, errors as
 * {@link ApiFailure}, and uploads with progress.
 */
import {
  type ApiCallFailure,
  createApiClient,
  errorOf,
  KEY_ROLES,
  type KeyRole,
  type RoleNeed,
  roleMeets,
} from '../../src/contract/client';

const KEY = 'keras-batch.api-key';
const WHO = 'keras-batch.key-who';

/** The key's name and role, as `/api/v1/me` told at sign-in. */
export interface Who {
  name: string;
  role: KeyRole;
}

export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(WHO);
  },
  who: (): Who | null => {
    try {
      const who = JSON.parse(sessionStorage.getItem(WHO) ?? 'null') as Who | null;
      return who && KEY_ROLES.includes(who.role) ? who : null;
    } catch {
      return null;
    }
  },
  setWho: (who: Who) => sessionStorage.setItem(WHO, JSON.stringify({ name: who.name, role: who.role })),
};

/**
 * Whether the signed-in key's role allows an action, to hide what it cannot do. Unknown role: true (the
 * server decides anyway, with a 403 naming the role needed).
 */
export const can = (need: RoleNeed): boolean => {
  const who = session.who();
  return who ? roleMeets(who.role, need) : true;
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

const toFailure = (f: ApiCallFailure): ApiFailure => {
  if (f.status === 0)
    return new ApiFailure(0, 'NETWORK', 'the server cannot be reached: is `keras-batch serve` running?');
  if (f.status === 401 && (f.apiKey ?? null) === session.get()) onUnauthorized();
  if (f.message) return new ApiFailure(f.status, f.code ?? 'ERROR', f.message);
  return new ApiFailure(f.status, 'HTTP_ERROR', `the server answered ${f.status}`);
};

/** The API with the session's key; failures throw {@link ApiFailure}. */
export const api = createApiClient({ baseUrl: '', apiKey: session.get, toError: toFailure });

/** The API with a given key (to check a key before it is kept). */
export const apiWithKey = (apiKey: string) => createApiClient({ baseUrl: '', apiKey, toError: toFailure });

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
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText));
      else {
        const text = xhr.responseText;
        reject(toFailure({ status: xhr.status, text, apiKey: key ?? undefined, ...errorOf(text) }));
      }
    };
    xhr.onerror = () => reject(new ApiFailure(0, 'NETWORK', 'the upload was interrupted: try again'));
    xhr.send(form);
  });
}

// The API's JSON shapes, derived from the server's route schemas (types only).
export type {
  ConnectionInput,
  ConnectionView as Connection,
  DeploymentView as Deployment,
  FailureView as Failure,
  JobStatus,
  JobView as Job,
  LocationView as Place,
  ModelCreated,
  ModelVersionView as Version,
  ModelView as Model,
  ObjectListing as Listing,
  ObjectPreview as Preview,
  OnlineOutput as Scored,
  Page,
  TensorView as Tensor,
} from '../../src/contract/client';

/** The bucket and prefix of a place as query fields (empty ones left out). */
export const placeQuery = (p: { bucket?: string | null; prefix?: string }) => ({
  bucket: p.bucket || undefined,
  prefix: p.prefix || undefined,
});
