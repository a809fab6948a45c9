import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../batch/index.js';

const KNOWN =
  ' {bar} {percentage}% | {value}/{total} files | {rate} files/s | ETA {eta_text} | failed {failed}';
const LISTING = ' {bar} listing… | {value}/{total}+ files | {rate} files/s | failed {failed}';

/**
 * The bar's line. While the inputs are still being listed the total is not known: no percentage and an empty
 * bar, since a fraction of what is listed so far would move backwards as more is found.
 */
export const progressLine: cliProgress.GenericFormatter = (options, params, payload: { listing?: boolean }) =>
  cliProgress.Format.Formatter(
    { ...options, format: payload.listing ? LISTING : KNOWN },
    payload.listing ? { ...params, progress: 0 } : params,
    payload,
  );

/** A terminal progress bar for a batch job: files done/total when known, files/s, ETA, failures. */
export function createProgressBar(enabled: boolean): { update(e: ProgressEvent): void; stop(): void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: progressLine, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(e) {
      const done = e.counts.scored + e.counts.failed + e.counts.skipped;
      const payload = {
        listing: !e.listingDone,
        rate: e.filesPerSecond.toFixed(0),
        failed: e.counts.failed,
        eta_text: e.etaSeconds === null ? '…' : `${Math.ceil(e.etaSeconds)}s`,
      };
      const total = e.listingDone ? e.counts.listed : Math.max(e.counts.listed, done, 1);
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
