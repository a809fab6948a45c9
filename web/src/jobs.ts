/**
 * What the UI says about a job: its state in words and colours (a failed job with inputs that failed is not a
 * green "completed"), messages in the UI's words, and counts that never go backwards on the page.
 */
import type { Job } from './api';

export type JobStateKey =
  | 'queued'
  | 'running'
  | 'completed'
  | 'completed-with-failures'
  | 'failed'
  | 'stopped-early'
  | 'canceled'
  | 'interrupted';

export interface JobState {
  key: JobStateKey;
  /** The word(s) on the badge. */
  label: string;
  /** The badge and bar colour: ok (green), info (blue), warn (amber), bad (red), neutral (grey). */
  tone: 'ok' | 'info' | 'warn' | 'bad' | 'neutral';
  final: boolean;
}

const STOPPED_EARLY = /more than --max-failures/;

type JobLike = Pick<Job, 'status' | 'status_message' | 'counts'> & Partial<Pick<Job, 'interrupted'>>;

/**
 * The job's state. Each has its own words, and its own look beside the colour (the badge's symbol and the
 * bar's pattern, styles.css `[data-state]`): a failed and a stopped-early job are both red, but not alike.
 */
export function jobState(job: JobLike): JobState {
  switch (job.status) {
    case 'queued':
      // Left running by a server that stopped: queued again, to resume where it was.
      return job.interrupted
        ? { key: 'interrupted', label: 'interrupted, resuming', tone: 'warn', final: false }
        : { key: 'queued', label: 'queued', tone: 'neutral', final: false };
    case 'running':
      return { key: 'running', label: 'running', tone: 'info', final: false };
    case 'completed':
      return job.counts.failed > 0
        ? { key: 'completed-with-failures', label: 'completed with failures', tone: 'warn', final: true }
        : { key: 'completed', label: 'completed', tone: 'ok', final: true };
    case 'canceled':
      return { key: 'canceled', label: 'canceled', tone: 'neutral', final: true };
    default:
      return STOPPED_EARLY.test(job.status_message ?? '')
        ? { key: 'stopped-early', label: 'stopped early', tone: 'bad', final: true }
        : { key: 'failed', label: 'failed', tone: 'bad', final: true };
  }
}

/** A number as the reader's locale writes it ("30,000"). */
const numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
export const fmt = (n: number) => numbers.format(n);

/** File names in natural order: img1, img2, img10. */
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
export const naturalCompare = (a: string, b: string) => collator.compare(a, b);

/**
 * A server message in the UI's words: no internal `[part]` prefixes, no CLI flags. The stop-early reason
 * names the deployment's "Max failures" setting and leaves the count to the tiles (failures keep arriving
 * from inputs already in flight after the limit is passed, so the count in the message is soon stale).
 */
export function uiMessage(text: string | null | undefined, job?: JobLike): string | null {
  if (!text) return null;
  let t = withoutParts(text);
  const count = /^\d+ inputs failed, more than --max-failures (\d+)$/.exec(t);
  const percent = /^\d+ of \d+ inputs failed \([\d.]+%\), more than --max-failures ([\d.]+)%$/.exec(t);
  const failed = job ? ` ${fmt(job.counts.failed)} inputs failed in all.` : '';
  if (count)
    return `Stopped early: more than ${fmt(Number(count[1]))} inputs failed, the deployment's "Max failures" limit.${failed}`;
  if (percent)
    return `Stopped early: more than ${percent[1]}% of the inputs failed, the deployment's "Max failures" limit.${failed}`;
  t = t.replace(/--max-failures/g, '"Max failures"');
  if (t === 'canceled') return 'Canceled: no more inputs were scored after the cancel.';
  if (/^\d+ input\(s\) failed$/.test(t)) return null; // the tiles and the Failures table say it
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** Errors carry their internal part as a `[storage] ...` prefix (also after `job failed: `): not the UI's words. */
export const withoutParts = (text: string) => text.replace(/(^|: )\[[a-z][a-z0-9-]*\]\s*/g, '$1');

const done = (c: Job['counts']) => c.scored + c.skipped + c.failed;

/**
 * The job to show, from the one shown so far and a newer snapshot (the event stream and the job endpoint lag
 * each other by up to a second, and a resumed job counts again from 0): the newer status and message, the
 * counts of whichever snapshot is further along, unless the newer one is final (its counts are the report's).
 */
export function furthest(prev: Job | null, next: Job): Job {
  if (!prev || prev.id !== next.id) return next;
  const prevFinal = jobState(prev).final;
  if (prevFinal && !jobState(next).final) return prev; // a late running event after the end
  if (jobState(next).final) return next;
  if (done(next.counts) >= done(prev.counts) && next.counts.total >= prev.counts.total)
    return { ...next, listing_done: next.listing_done || prev.listing_done };
  const counts = done(next.counts) >= done(prev.counts) ? next.counts : prev.counts;
  return {
    ...next,
    counts: { ...counts, total: Math.max(prev.counts.total, next.counts.total) },
    listing_done: next.listing_done || prev.listing_done,
  };
}

const STORE = 'keras-batch.job-furthest.';

/** The furthest snapshot seen of a job in this tab (kept across a reload in sessionStorage). */
export const seenJob = {
  get(id: string): Job | null {
    try {
      const text = sessionStorage.getItem(STORE + id);
      return text ? (JSON.parse(text) as Job) : null;
    } catch {
      return null;
    }
  },
  set(job: Job) {
    try {
      sessionStorage.setItem(STORE + job.id, JSON.stringify(job));
    } catch {
      // storage full or disabled: the page still merges within its lifetime
    }
  },
};

/** The fraction of the bar: the share of the known total that is done; null while the total is unknown. */
export function barValue(job: Job): number | null {
  const state = jobState(job);
  if (state.key === 'completed' || state.key === 'completed-with-failures') return 1;
  const total = job.counts.total;
  // A job that ended before its listing did never learned its total: no share of it can be shown.
  if (!job.listing_done) return null;
  if (state.final) return total > 0 ? Math.min(1, done(job.counts) / total) : 0;
  if (total === 0) return null;
  return Math.min(1, done(job.counts) / total);
}

export const doneCount = done;
