import { useEffect, useState } from 'react';
import { api, can, type Deployment, type Job, type Preview, placeQuery } from './api';
import { Badge, duration, ErrorBox, Loading, message, navigate, ProgressBar, useLoad } from './ui';

const FINAL = new Set(['completed', 'failed', 'canceled']);
const PAGE = 10;

export function JobPage({ id }: { id: string }) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(false);
  const [actionError, setActionError] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    setJob(null);
    setError(undefined);
    api
      .getJob(id)
      .then(async (first) => {
        setJob(first);
        if (FINAL.has(first.status)) return;
        setLive(true);
        await api.followJob(id, setJob, abort.signal);
        setLive(false);
        setJob(await api.getJob(id));
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) {
          setLive(false);
          setError(message(err));
        }
      });
    return () => abort.abort();
  }, [id]);
  const deployment = useLoad(
    () => (job ? api.getDeployment(job.deployment_id) : Promise.resolve(null)),
    [job?.deployment_id],
  );
  if (error)
    return <ErrorBox error={`This job cannot be shown: ${error}`} retry={() => window.location.reload()} />;
  if (!job) return <Loading what="the job" />;
  const d = deployment.data;
  const final = FINAL.has(job.status);
  const done = job.counts.scored + job.counts.skipped + job.counts.failed;
  /** Once final or fully listed: before that a fraction of the inputs found so far can only mislead. */
  const totalKnown = final || job.listing_done;
  const fps = job.files_per_second ?? 0;
  const remaining = Math.max(0, job.counts.total - done);
  const eta = !final && fps > 0 && job.listing_done ? duration((remaining / fps) * 1000) : '—';
  const cancel = async () => {
    setActionError(undefined);
    try {
      setJob(await api.cancelJob(job.id));
    } catch (err) {
      setActionError(message(err));
    }
  };
  const rerun = async () => {
    setActionError(undefined);
    try {
      const next = await api.rerunJob(job.id);
      navigate(`#/jobs/${encodeURIComponent(next.id)}`);
    } catch (err) {
      setActionError(message(err));
    }
  };
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
          Job <Badge status={job.status} />
        </h1>
        <div className="buttons">
          {!final && can('editor') && (
            <button type="button" className="danger" onClick={cancel}>
              Cancel job
            </button>
          )}
          {final && can('editor') && (
            <button type="button" onClick={rerun}>
              Rerun
            </button>
          )}
        </div>
      </div>
      {actionError && <ErrorBox error={actionError} />}
      <section className="card" aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        <ProgressBar
          value={!totalKnown ? null : job.status === 'completed' ? 1 : job.progress}
          label="Job progress"
          text={totalKnown ? undefined : `${done.toLocaleString('en')} done; still listing the inputs`}
        />
        <dl className="stats" aria-live="polite">
          <div>
            <dt>Files done</dt>
            <dd data-testid="files-done">
              {done.toLocaleString('en')} / {job.counts.total.toLocaleString('en')}
              {job.listing_done ? '' : '+'}
            </dd>
          </div>
          <div>
            <dt>Files/s</dt>
            <dd>{fps ? fps.toFixed(1) : '—'}</dd>
          </div>
          <div>
            <dt>ETA</dt>
            <dd>{eta}</dd>
          </div>
          <div>
            <dt>Failures</dt>
            <dd data-testid="failures-count">{job.counts.failed}</dd>
          </div>
          {final && (
            <>
              <div>
                <dt>Scored</dt>
                <dd>{job.counts.scored}</dd>
              </div>
              <div>
                <dt>Skipped</dt>
                <dd>{job.counts.skipped}</dd>
              </div>
              <div>
                <dt>Duration</dt>
                <dd>{job.duration_ms !== null ? duration(job.duration_ms) : '—'}</dd>
              </div>
            </>
          )}
        </dl>
        {live && (
          <p className="muted">
            Live: updates as the job runs.
            {job.listing_done ? '' : ' Still listing the inputs, so the total is not known yet.'}
          </p>
        )}
        {job.status_message && <p>{job.status_message}</p>}
      </section>
      {final && job.counts.failed > 0 && <Failures jobId={job.id} total={job.counts.failed} />}
      {final && d?.target && <Outputs deployment={d} />}
    </div>
  );
}

function Failures({ jobId, total }: { jobId: string; total: number }) {
  const [offset, setOffset] = useState(0);
  const page = useLoad(() => api.jobFailures(jobId, { limit: PAGE, offset }), [jobId, offset]);
  const count = page.data?.total ?? total;
  return (
    <section className="card" aria-labelledby="failures-title">
      <h2 id="failures-title">Failures ({count})</h2>
      {page.error && <ErrorBox error={page.error} retry={page.reload} />}
      {page.loading && !page.data && <Loading what="failures" />}
      {page.data && (
        <>
          <div className="table-wrap">
            <table aria-describedby="failures-title">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((f) => (
                  <tr key={`${f.file}-${f.stage}`}>
                    <td className="mono">{f.file}</td>
                    <td>{f.stage}</td>
                    <td>{f.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
              {offset + 1}–{Math.min(offset + PAGE, count)} of {count}
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

function Outputs({ deployment }: { deployment: Deployment }) {
  const target = deployment.target!;
  const list = useLoad(
    () => api.listObjects(target.connection_id, { ...placeQuery(target), limit: 50 }),
    [deployment.id],
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
  const outputs = (list.data?.items ?? []).filter((i) => !i.key.startsWith('_keras-batch/')).slice(0, 5);
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
