import { useEffect, useState } from 'react';
import { api, can, type Deployment, type Preview, placeQuery } from './api';
import { useFollowedJob, useThrottled } from './follow';
import { Attempts, Downloads, JobActions, JobFacts } from './JobDetails';
import { barValue, doneCount, fmt, jobState, naturalCompare, uiMessage } from './jobs';
import {
  Badge,
  duration,
  ErrorBox,
  Loading,
  message,
  ProgressBar,
  Reconnecting,
  TableWrap,
  useLoad,
  useTitle,
} from './ui';

const PAGE = 10;
/** The live region says where the job is at most this often (a screen reader cannot follow 4 updates a second). */
const ANNOUNCE_MS = 5000;

export function JobPage({ id }: { id: string }) {
  const { job, error, live, reconnecting } = useFollowedJob(id);
  const [actionError, setActionError] = useState<string>();
  const deployment = useLoad(
    () => (job ? api.getDeployment(job.deployment_id) : Promise.resolve(null)),
    [job?.deployment_id],
  );
  const state = job ? jobState(job) : null;
  useTitle(job && state ? `Job ${job.id.slice(0, 8)} (${state.label})` : 'Job');
  const done = job ? doneCount(job.counts) : 0;
  const value = job ? barValue(job) : null;
  const pct = value === null ? null : Math.floor(value * 1000) / 10;
  const announcement = useThrottled(
    job && state
      ? `Job ${state.label}: ${fmt(done)} of ${fmt(job.counts.total)}${job.listing_done ? '' : ' or more'} files done${pct === null ? '' : ` (${pct}%)`}, ${fmt(job.counts.failed)} failed.`
      : '',
    state?.key ?? '',
    ANNOUNCE_MS,
  );
  if (error)
    return <ErrorBox error={`This job cannot be shown: ${error}`} retry={() => window.location.reload()} />;
  if (!job || !state) return reconnecting ? <Reconnecting what="the job" /> : <Loading what="the job" />;
  const d = deployment.data;
  const final = state.final;
  const fps = job.files_per_second ?? 0;
  const remaining = Math.max(0, job.counts.total - done);
  const eta = !final && fps > 0 && job.listing_done ? duration((remaining / fps) * 1000) : '—';
  const started = job.started_at ? Date.parse(job.started_at) : null;
  const finished = job.finished_at ? Date.parse(job.finished_at) : null;
  const elapsed =
    job.duration_ms !== null
      ? job.duration_ms
      : started === null
        ? null
        : final
          ? finished !== null
            ? finished - started
            : null
          : Date.now() - started;
  const note = uiMessage(job.status_message, job);
  return (
    <div className="page">
      <p className="crumbs">
        <a href="#/models">Models</a>
        {d && (
          <>
            {' / '}
            <a href={`#/models/${encodeURIComponent(d.model_id)}/deployments`}>Deployments</a>
            {' / '}
            <a href={`#/deployments/${encodeURIComponent(d.id)}`}>{d.name}</a>
          </>
        )}
      </p>
      <div className="row-between">
        <h1>
          Job <span className="mono job-id">{job.id.slice(0, 8)}</span>{' '}
          <Badge status={state.label} tone={state.tone} state={state.key} />
          {job.attempts > 1 && state.key !== 'interrupted' && (
            <Badge status="resumed" tone="info" state="resumed" />
          )}
        </h1>
        {can('editor') && (
          <JobActions job={job} deployment={d ?? null} final={final} onError={setActionError} />
        )}
      </div>
      {actionError && <ErrorBox error={actionError} />}
      {reconnecting && <Reconnecting what="the job" />}
      <section className={`card state-${state.key}`} aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        <ProgressBar
          value={value}
          state={state.key}
          tone={value === null && final ? `${state.tone} ended` : state.tone}
          label="Job progress"
          text={
            value === null && final
              ? `${fmt(done)} files done, then ${state.label} before all the inputs were listed`
              : value === null
                ? `${fmt(done)} done; still listing the inputs`
                : final && value < 1
                  ? `${pct}%: ${fmt(done)} of ${fmt(job.counts.total)} files done, then ${state.label}`
                  : undefined
          }
        />
        <p className="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcer">
          {announcement}
        </p>
        <dl className="stats">
          <div>
            <dt>Files done</dt>
            <dd data-testid="files-done">
              {fmt(done)} / {fmt(job.counts.total)}
              {job.listing_done ? '' : '+'}
            </dd>
          </div>
          <div>
            <dt>Done</dt>
            <dd data-testid="percent">{pct === null ? '—' : `${pct}%`}</dd>
          </div>
          <div>
            <dt>Files/s</dt>
            <dd data-testid="rate">{fps ? fmt(fps) : '—'}</dd>
          </div>
          <div>
            <dt>ETA (estimate)</dt>
            <dd>{eta}</dd>
          </div>
          <div>
            <dt>Failures</dt>
            <dd data-testid="failures-count">{fmt(job.counts.failed)}</dd>
          </div>
          {final && (
            <>
              <div>
                <dt>Scored</dt>
                <dd>{fmt(job.counts.scored)}</dd>
              </div>
              <div>
                <dt>Skipped</dt>
                <dd>{fmt(job.counts.skipped)}</dd>
              </div>
            </>
          )}
          <div>
            <dt>{final ? 'Duration' : 'Elapsed'}</dt>
            <dd>{elapsed !== null ? duration(elapsed) : '—'}</dd>
          </div>
        </dl>
        {live && !reconnecting && (
          <p className="muted">
            Live: updates as the job runs.
            {job.listing_done ? '' : ' Still listing the inputs, so the total is not known yet.'}
          </p>
        )}
        {note && (
          <p className={`job-note ${state.tone}`} data-testid="job-message">
            {note}
          </p>
        )}
        {job.attempts > 1 && (
          <p className="muted" data-testid="attempts">
            Attempt {job.attempts}: the job was interrupted (a server stop) and resumed; inputs already scored
            by an earlier attempt count as skipped.
          </p>
        )}
        <dl className="facts">
          <div className="fact">
            <dt>Job id</dt>
            <dd className="mono">{job.id}</dd>
          </div>
          <div className="fact">
            <dt>Created</dt>
            <dd>{new Date(job.created_at).toLocaleString()}</dd>
          </div>
          {job.finished_at && (
            <div className="fact">
              <dt>Finished</dt>
              <dd>{new Date(job.finished_at).toLocaleString()}</dd>
            </div>
          )}
        </dl>
        <JobFacts job={job} deployment={d ?? null} loading={deployment.loading} />
        <Downloads job={job} />
      </section>
      <Attempts job={job} final={final} />
      {job.counts.failed > 0 && (
        <Failures jobId={job.id} total={job.counts.failed} live={!final} attempts={job.attempts} />
      )}
      {job.counts.scored > 0 && d?.target && <Outputs deployment={d} live={!final} />}
    </div>
  );
}

function Failures(props: { jobId: string; total: number; live: boolean; attempts: number }) {
  const { jobId, total, live, attempts } = props;
  const [offset, setOffset] = useState(0);
  // While the job runs its failures arrive as they happen: read them again every few seconds.
  // While the page's first rows are not all there, every new failure reads them again at once.
  const page = useLoad(
    () => api.jobFailures(jobId, { limit: PAGE, offset }),
    [jobId, offset, live, live ? Math.min(total, offset + PAGE) : 0],
    () => live,
  );
  // The list is written a moment after the counts: while it is behind them, read it again soon.
  const behind = live && page.data !== undefined && page.data.total < total;
  const reload = page.reload;
  // biome-ignore lint/correctness/useExhaustiveDependencies: each new page of data starts the wait again
  useEffect(() => {
    if (!behind) return;
    const timer = setTimeout(reload, 500);
    return () => clearTimeout(timer);
  }, [behind, reload, page.data]);
  const count = page.data?.total ?? total;
  return (
    <section className="card" aria-labelledby="failures-title">
      <h2 id="failures-title">
        Failures ({fmt(count)}){live ? ' so far' : ''}
      </h2>
      {live && <p className="muted">The job is running: failures appear here as they happen.</p>}
      {attempts > 1 && (
        <p className="muted">
          Each input is listed once, for the latest attempt that failed on it; an earlier attempt's failures
          stay listed with their attempt.
        </p>
      )}
      {page.error && <ErrorBox error={page.error} retry={page.reload} />}
      {page.loading && !page.data && <Loading what="failures" />}
      {page.data && (
        <>
          <TableWrap label="Failures table">
            <table aria-describedby="failures-title">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  {attempts > 1 && <th scope="col">Attempt</th>}
                  <th scope="col">Stage</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((f) => (
                  <tr key={`${f.file}-${f.stage}`}>
                    <td className="mono">{f.file}</td>
                    {attempts > 1 && <td data-testid="failure-attempt">{f.attempt ?? 1}</td>}
                    <td>{f.stage}</td>
                    <td>{uiMessage(f.reason) ?? f.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <nav className="pager" aria-label="Failures pages">
            <button
              type="button"
              className="secondary small"
              disabled={offset === 0}
              onClick={() => setOffset(offset - PAGE)}
            >
              Previous
            </button>
            <span>
              {fmt(offset + 1)}–{fmt(Math.min(offset + PAGE, count))} of {fmt(count)}
            </span>
            <button
              type="button"
              className="secondary small"
              disabled={offset + PAGE >= count}
              onClick={() => setOffset(offset + PAGE)}
            >
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

function Outputs({ deployment, live }: { deployment: Deployment; live: boolean }) {
  const target = deployment.target!;
  const list = useLoad(
    () => api.listObjects(target.connection_id, { ...placeQuery(target), limit: 50 }),
    [deployment.id, live],
    () => live,
  );
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string>();
  const open = async (key: string) => {
    setError(undefined);
    try {
      setPreview(await api.previewObject(target.connection_id, { ...placeQuery(target), key }));
    } catch (err) {
      setError(message(err));
    }
  };
  const outputs = (list.data?.items ?? [])
    .filter((i) => !i.key.startsWith('_keras-batch/'))
    .sort((a, b) => naturalCompare(a.key, b.key))
    .slice(0, 5);
  return (
    <section className="card" aria-labelledby="outputs-title">
      <h2 id="outputs-title">Outputs</h2>
      <p className="muted">
        Written to {target.bucket ?? ''}
        {target.prefix ? `/${target.prefix}` : ''}. A few of them:
      </p>
      {list.error && <ErrorBox error={list.error} retry={list.reload} />}
      {list.loading && !list.data && <Loading what="outputs" />}
      {list.data && outputs.length === 0 && <p>No outputs were written.</p>}
      <ul className="keys">
        {outputs.map((o) => (
          <li key={o.key}>
            <button type="button" className="link" onClick={() => open(o.key)}>
              {o.key}
            </button>
          </li>
        ))}
      </ul>
      {error && <ErrorBox error={error} />}
      {preview && (
        <figure className="preview">
          <figcaption>
            Output <span className="mono">{preview.key}</span>
          </figcaption>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable) */}
          <pre tabIndex={0} data-testid="output-preview">
            {preview.text}
          </pre>
        </figure>
      )}
    </section>
  );
}
