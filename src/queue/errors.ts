import { KerasBatchError } from '../util/errors.js';

/** A failure of the distributed queue (Redis unreachable, a bad `--redis` URL, a shard that cannot run). */
export class QueueError extends KerasBatchError {
  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('queue', code, message, options);
  }
}
