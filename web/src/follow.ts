/** The job page's live data: the job followed through a server restart, and a throttled announcement. */
import { useEffect, useRef, useState } from 'react';
import { ApiFailure, api, type Job } from './api';
import { furthest, jobState, seenJob } from './jobs';
import { backoff, message, transient } from './ui';

/**
 * Follows a job: its endpoint, then its event stream, with the endpoint polled alongside (the two lag each other)
 * and every snapshot merged into the furthest one. When the server goes away (a restart, a network loss) the
 * page says it is reconnecting and tries again with backoff until the job is final, without a click.
 */
export function useFollowedJob(id: string) {
  const [job, setJob] = useState<Job | null>(() => seenJob.get(id));
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(false);
  const [reconnecting, setReconnecting] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const show = (next: Job) => {
      if (abort.signal.aborted) return;
      setJob((prev) => {
        const merged = furthest(prev ?? seenJob.get(id), next);
        seenJob.set(merged);
        return merged;
      });
    };
    setJob(seenJob.get(id));
    setError(undefined);
    const run = async () => {
      for (let failures = 0; !abort.signal.aborted; ) {
        try {
          const first = await api.getJob(id);
          setReconnecting(false);
          failures = 0;
          show(first);
          if (jobState(first).final) break;
          setLive(true);
          const poll = setInterval(() => api.getJob(id).then(show, () => undefined), 2000);
          try {
            await api.followJob(id, show, abort.signal);
          } finally {
            clearInterval(poll);
          }
          await sleep(300); // the stream ended: read the job again (final, or the server is going away)
        } catch (err) {
          if (abort.signal.aborted) return;
          // A refusal (404, 401, ...) is final; a network failure or a dropped stream is a restart to wait out.
          if (err instanceof ApiFailure && !transient(err)) {
            setError(message(err));
            break;
          }
          setReconnecting(true);
          await sleep(backoff(failures));
          failures += 1;
        }
      }
      if (!abort.signal.aborted) setLive(false);
    };
    void run();
    return () => abort.abort();
  }, [id]);
  return { job, error, live, reconnecting };
}

/** `text`, but changed at most every `every` ms, except at once when `key` changes. */
export function useThrottled(text: string, key: string, every: number): string {
  const [said, setSaid] = useState(text);
  const last = useRef({ at: 0, key });
  useEffect(() => {
    const say = () => {
      last.current = { at: Date.now(), key };
      setSaid(text);
    };
    const since = Date.now() - last.current.at;
    if (key !== last.current.key || since >= every) return say();
    const timer = setTimeout(say, every - since);
    return () => clearTimeout(timer);
  }, [text, key, every]);
  return said;
}
