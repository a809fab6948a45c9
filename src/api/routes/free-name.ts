import { ApiError } from '../errors.js';

/**
 * A name nothing has yet: `name`, else `name (2)`, `name (3)`... WML allowed two models (or deployments) of one
 * name and its clients rely on it; our names are unique, so the v3 routes store a taken name numbered.
 */
export async function freeName(
  taken: (name: string) => Promise<boolean>,
  name: string,
  what: string,
): Promise<string> {
  if (!(await taken(name))) return name;
  for (let n = 2; n < 1000; n++) {
    const candidate = `${name} (${n})`;
    if (!(await taken(candidate))) return candidate;
  }
  throw new ApiError(409, 'REPO_CONFLICT', `too many ${what} named ${JSON.stringify(name)}`);
}
