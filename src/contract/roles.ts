/**
 * API key roles and how they nest: plain data, no schema code, so the web UI can use it to hide what a key
 * cannot do (the server decides: `src/api/roles.ts`).
 */

/** `admin` (everything), `editor` (models, deployments, jobs), `viewer` (read only), `scorer` (online scoring). */
export const KEY_ROLES = ['admin', 'editor', 'viewer', 'scorer'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** What a route needs: a role, or `any` valid key. */
export type RoleNeed = KeyRole | 'any';

const MEETS: Record<RoleNeed, readonly KeyRole[]> = {
  any: ['admin', 'editor', 'viewer', 'scorer'],
  scorer: ['admin', 'editor', 'scorer'],
  viewer: ['admin', 'editor', 'viewer'],
  editor: ['admin', 'editor'],
  admin: ['admin'],
};

/**
 * Whether a key with `role` meets `need`: admin ⊃ editor ⊃ viewer; `scorer` is met by scorer, editor and
 * admin (a viewer only reads, it does not score).
 */
export const roleMeets = (role: KeyRole, need: RoleNeed): boolean => MEETS[need].includes(role);
