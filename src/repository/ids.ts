import { randomUUID } from 'node:crypto';

/** A new record id (a UUID, as WML's guids were). */
export const newId = (): string => randomUUID();

/** The current time as ISO-8601 text (how timestamps are stored). */
export const now = (): string => new Date().toISOString();
