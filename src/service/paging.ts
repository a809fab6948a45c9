import type { PageInput } from './inputs.js';

/** A name or description as given, trimmed. */
export const text = (v: string | undefined): string => (v ?? '').trim();

/** Listing bounds: 1–1000 items (default 50) from a non-negative offset. */
export const page = (p: PageInput = {}): { limit: number; offset: number } => ({
  limit: Math.min(Math.max(p.limit ?? 50, 1), 1000),
  offset: Math.max(p.offset ?? 0, 0),
});
