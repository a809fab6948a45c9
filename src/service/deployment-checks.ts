import { JOB_PREFIX } from '../batch/index.js';
import { formatLocation } from '../storage/index.js';
import { ServiceError } from './errors.js';
import type { CheckedPlace, ValidateDeps } from './validate.js';
import { sourceProblem } from './validate.js';

/** A message as a sentence: a capital first letter and a full stop. */
export const sentence = (m: string) => {
  const t = m.trim();
  if (!t) return t;
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
};

/**
 * The cheap source check of create: the source can be listed and holds a file (the first page tells). A
 * deployment whose job would fail at once (a prefix that does not exist, an empty folder) is refused (422).
 */
export async function checkSourceHasFiles(deps: ValidateDeps, source: CheckedPlace): Promise<void> {
  let found = false;
  let driver: ReturnType<ValidateDeps['open']> | null = null;
  try {
    driver = deps.open(source, false);
    for await (const page of driver.list()) {
      if (page.some((e) => !e.key.startsWith(JOB_PREFIX) && !e.key.endsWith('/'))) {
        found = true;
        break;
      }
    }
  } catch (error) {
    throw new ServiceError('SERVICE_SOURCE_EMPTY', await sourceProblem(source.location, error));
  } finally {
    await driver?.close().catch(() => undefined);
  }
  if (!found)
    throw new ServiceError(
      'SERVICE_SOURCE_EMPTY',
      `No files in the source ${formatLocation(source.location)}: check the bucket, folder and prefix.`,
    );
}
