import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ServiceError } from './errors.js';

/** `inner` is `outer` or lies below it (both real, absolute paths). */
const within = (inner: string, outer: string) =>
  inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : `${outer}${sep}`);

/** The real path of `path`, symlinks resolved; for a folder not made yet, its nearest existing ancestor's. */
function realPath(path: string): string {
  const absolute = resolve(path);
  let existing = absolute;
  const missing: string[] = [];
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    missing.unshift(basename(existing));
    existing = parent;
  }
  return join(realpathSync(existing), ...missing);
}

const forbidden = (message: string) => new ServiceError('SERVICE_FORBIDDEN', message);

/**
 * Which server folders local connections may reach. The CLI on a data dir (the user's own machine) is
 * `unrestricted`; `serve` confines them to its `--local-root` folders, none by default (then no local folder is
 * usable over HTTP). Every check resolves the path with realpath, symlinks included, so a link inside a root
 * cannot lead out of it; no root may hold the data dir (its secret key, database and models) or lie inside it.
 */
export class LocalRoots {
  private constructor(private readonly roots: readonly string[] | null) {}

  static unrestricted(): LocalRoots {
    return new LocalRoots(null);
  }

  /** Roots that must exist and stay clear of `guarded` folders (the data dir, the artifact store). */
  static confined(roots: readonly string[], guarded: readonly string[]): LocalRoots {
    const real = roots.map((root) => {
      if (!existsSync(root)) throw new ServiceError('SERVICE_INVALID', `--local-root ${root} does not exist`);
      return realpathSync(root);
    });
    for (const [i, root] of real.entries()) {
      for (const folder of guarded.map(realPath)) {
        if (within(folder, root) || within(root, folder))
          throw new ServiceError(
            'SERVICE_INVALID',
            `--local-root ${roots[i]} overlaps the data dir or artifact store (${folder}): choose a folder outside it`,
          );
      }
    }
    return new LocalRoots(real);
  }

  get confinedTo(): readonly string[] | null {
    return this.roots;
  }

  /** The real path of a local folder a connection or place uses, when a root holds it; else SERVICE_FORBIDDEN. */
  check(path: string, what: string): string {
    if (this.roots === null) return resolve(path);
    if (this.roots.length === 0)
      throw forbidden(
        `${what}: this server offers no local folders (an administrator starts it with --local-root DIR)`,
      );
    const real = realPath(path);
    if (!this.roots.some((root) => within(real, root)))
      throw forbidden(`${what}: ${path} is outside the server's local roots (${this.roots.join(', ')})`);
    return real;
  }
}
