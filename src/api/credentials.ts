import type { KeyIdentity, KeysService, TokensService } from '../service/index.js';
import { looksLikeJwt } from '../service/index.js';

/** The API key (or token) an `Authorization` header carries, before it is checked. */
export type Credential = { kind: 'key'; value: string } | { kind: 'token'; value: string };

/**
 * Reads an `Authorization` header: `Bearer <token>` (a JWT from `/v3/identity/token`), `Bearer <api key>`, or
 * `Basic` with the API key as the password (`user:key` in base64, the user ignored) or as the whole credential
 * (`Basic <api key>`, as IBM's v4 client sends a pre-provided key). Undefined when the header is none of these.
 */
export function readCredential(header: string | undefined): Credential | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^(Bearer|Basic)\s+(\S{8,2000})$/i.exec(header.trim());
  if (!match) return undefined;
  const value = match[2];
  if (match[1].toLowerCase() === 'bearer')
    return looksLikeJwt(value)
      ? { kind: 'token', value }
      : value.length <= 200
        ? { kind: 'key', value }
        : undefined;
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const key = colon >= 0 && /^[\x20-\x7e]+$/.test(decoded) ? decoded.slice(colon + 1) : value;
  return key.length >= 8 && key.length <= 200 ? { kind: 'key', value: key } : undefined;
}

/** The API key an `Authorization` header stands for (directly or through a token), or null. */
export async function resolveCredential(
  header: string | undefined,
  keys: KeysService,
  tokens: TokensService,
): Promise<KeyIdentity | null> {
  const credential = readCredential(header);
  if (!credential) return null;
  return credential.kind === 'token' ? tokens.verify(credential.value) : keys.verify(credential.value);
}
