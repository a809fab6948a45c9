import { KerasBatchError } from '../util/errors.js';

/** Stable codes of {@link RepositoryError}. */
export type RepositoryErrorCode =
  | 'REPO_NOT_FOUND'
  | 'REPO_CONFLICT'
  | 'REPO_INVALID'
  | 'REPO_IN_USE'
  | 'REPO_SECRET_KEY'
  | 'REPO_DECRYPT'
  | 'REPO_DATABASE';

/** A failure of the model repository (what was asked for does not exist, clashes, or is not valid). */
export class RepositoryError extends KerasBatchError {
  declare readonly code: RepositoryErrorCode;

  constructor(code: RepositoryErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('repository', code, message, options);
  }
}

/** `REPO_NOT_FOUND` for a kind of thing and its id. */
export const notFound = (kind: string, id: string): RepositoryError =>
  new RepositoryError('REPO_NOT_FOUND', `${kind} ${JSON.stringify(id)} not found`);
