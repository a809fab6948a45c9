import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RepositoryError } from './errors.js';

/** Environment variable holding the 32-byte key (64 hex digits or base64) that seals connection secrets. */
export const SECRET_KEY_ENV = 'KERAS_BATCH_SECRET_KEY';
/** File in the data dir where the embedded default keeps a generated key. */
export const SECRET_KEY_FILE = 'secret.key';

function decodeKey(text: string, from: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32)
    throw new RepositoryError(
      'REPO_SECRET_KEY',
      `${from} must hold a 32-byte key as 64 hex digits or base64 (e.g. openssl rand -hex 32)`,
    );
  return key;
}

/**
 * The key that seals connection secrets: `KERAS_BATCH_SECRET_KEY` when set, else `<dataDir>/secret.key`,
 * generated (mode 0600) on first start when missing.
 */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv) return decodeKey(fromEnv, SECRET_KEY_ENV);
  const file = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8'), file);
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

/**
 * The key as {@link loadSecretKey} finds it, but never generated: null when neither `KERAS_BATCH_SECRET_KEY` nor
 * `<dataDir>/secret.key` exists (a worker must use the server's key, not make its own).
 */
export function readSecretKey(
  dataDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Buffer | null {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv) return decodeKey(fromEnv, SECRET_KEY_ENV);
  if (!dataDir) return null;
  const file = join(dataDir, SECRET_KEY_FILE);
  return existsSync(file) ? decodeKey(readFileSync(file, 'utf8'), file) : null;
}

/**
 * AES-256-GCM sealing of small secrets (connection keys). A sealed value is `v1.<iv>.<tag>.<data>` in
 * base64url; the record id is bound as associated data, so a sealed value copied to another row fails.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new RepositoryError('REPO_SECRET_KEY', 'the secret key must be 32 bytes');
  }

  seal(plain: string, bindTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(bindTo, 'utf8'));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', iv, tag, data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string, bindTo: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined)
      throw new RepositoryError('REPO_DECRYPT', 'a stored secret is not in a known format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(bindTo, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new RepositoryError(
        'REPO_DECRYPT',
        `a stored secret cannot be decrypted: was ${SECRET_KEY_ENV} (or the data dir's ${SECRET_KEY_FILE}) changed?`,
      );
    }
  }
}

/** A hint that tells keys apart without revealing them: `…` and the last 4 characters (none when short). */
export function maskHint(value: string): string {
  return value.length >= 12 ? `…${value.slice(-4)}` : '…';
}
