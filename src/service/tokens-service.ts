import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { KeyIdentity, KeysService } from './keys-service.js';

/** How long a token lives: 12 hours, as WML's ML tokens did (the v3 client refreshes under 30 minutes left). */
export const TOKEN_SECONDS = 12 * 60 * 60;
const ISSUER = 'keras-batch';

/**
 * The key that signs tokens (HS256), derived with HKDF from the secret key (`KERAS_BATCH_SECRET_KEY` or the data
 * dir's `secret.key`): every server of one repository signs and accepts the same tokens, and nothing new is stored.
 */
export function tokenSigningKey(secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secretKey, new Uint8Array(0), 'keras-batch token signing v1', 32));
}

/**
 * Bearer tokens for IBM's WML clients (`GET /v3/identity/token`): a JWT signed by the server (HS256) whose
 * `sub` is the API key's id and `exp` its end. A token stands for its key: a deleted key's tokens stop
 * working, and the key's permissions apply.
 */
export class TokensService {
  private readonly key: Uint8Array;

  constructor(
    private readonly keys: KeysService,
    signingKey?: Uint8Array,
  ) {
    this.key = signingKey ?? new Uint8Array(randomBytes(32));
  }

  /** A new token for the key `keyId` (which the caller has verified), with its expiry in epoch seconds. */
  async issue(keyId: string): Promise<{ token: string; exp: number }> {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + TOKEN_SECONDS;
    // The claims hold no '>', '?' or '~', so the payload's base64url is plain base64 too: the v3 client decodes it
    // with base64.b64decode, which would drop '-' and '_'.
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(keyId)
      .setIssuer(ISSUER)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, exp };
  }

  /** The key a valid, unexpired token of this server names (with its current role), when it still exists; else null. */
  async verify(token: string): Promise<KeyIdentity | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
      return this.keys.identity(payload.sub);
    } catch {
      return null;
    }
  }

  /** A fresh token for a still valid one (`PUT /v3/identity/token`), or null. */
  async refresh(token: string): Promise<{ token: string; exp: number } | null> {
    const key = await this.verify(token);
    return key ? this.issue(key.id) : null;
  }
}

/** Whether a bearer credential looks like a JWT (three base64url parts) rather than an API key. */
export const looksLikeJwt = (credential: string): boolean =>
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential);
