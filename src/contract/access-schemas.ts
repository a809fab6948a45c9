/**
 * The schemas of API keys, roles and the audit log (`/api/v1/keys`, `/api/v1/me`, `/api/v1/audit`).
 */
import { type Static, Type } from 'typebox';
import { KEY_ROLES } from './roles.js';
import { Int, Nullable, Str, Strict, StringEnum } from './schema-kit.js';
import { PageQuery } from './schemas.js';

const KeyRole = StringEnum(KEY_ROLES);

/** An API key as listed: its first characters, never the key. */
export const ApiKey = Type.Object({
  id: Str,
  name: Str,
  role: KeyRole,
  prefix: Str,
  created_at: Str,
  last_used_at: Nullable(Str),
});

export const ApiKeyInput = Strict({
  name: Type.String({ minLength: 1, maxLength: 200, description: 'what the key is for' }),
  role: KeyRole,
});

/** A new key: `key` is shown this once and never stored. */
export const ApiKeyCreated = Type.Object({ id: Str, name: Str, role: KeyRole, key: Str });

/** The key a request was made with. */
export const Me = Type.Object({ id: Str, name: Str, role: KeyRole });

export const AuditEntry = Type.Object({
  id: Str,
  at: Str,
  key_id: Nullable(Str),
  key_name: Nullable(Str),
  role: Nullable(Str),
  method: Str,
  route: Str,
  target_id: Nullable(Str),
  status: Int,
});

export const AuditQuery = Strict({
  ...PageQuery.properties,
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'one key id' })),
  outcome: Type.Optional(StringEnum(['ok', 'refused'] as const)),
  since: Type.Optional(
    Type.String({ minLength: 1, maxLength: 40, description: 'entries at or after this ISO 8601 time' }),
  ),
});

export type ApiKeyView = Static<typeof ApiKey>;
export type ApiKeyInput = Static<typeof ApiKeyInput>;
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;
export type MeView = Static<typeof Me>;
export type AuditEntryView = Static<typeof AuditEntry>;
export type AuditQuery = Static<typeof AuditQuery>;
