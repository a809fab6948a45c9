/** The job page's details: what the job ran (model, places, options), its attempts, downloads and actions. */
import { useState } from 'react';
import { api, type Deployment, type Job } from './api';
import { cloneDeployment } from './clone';
import { ConfirmDialog } from './Dialog';
import { formatSummary } from './format-form';
import { fmt } from './jobs';
import { message, navigate, TableWrap, useLoad } from './ui';

const MODES = [
  { key: 'all', label: 'All inputs', hint: 'Score every input again; outputs are overwritten.' },
  {
    key: 'resume',
    label: 'Resume',
    hint: 'Skip the inputs this model already scored (their outputs exist); score the rest.',
  },
  { key: 'failed', label: 'Only the failed inputs', hint: 'Score just the inputs that failed in this job.' },
] as const;
type Mode = (typeof MODES)[number]['key'];

const placeText = (p: Deployment['source'], names: Map<string, string>) =>
  p
    ? `${names.get(p.connection_id) ?? p.connection_id.slice(0, 8)}: ${[p.bucket, p.prefix].filter(Boolean).join('/') || '(root)'}`
    : '—';

const optionsText = (o: Deployment['options']) => {
  const parts = Object.entries(o)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${Array.isArray(v) ? v.join(', ') : v}`);
  return parts.length ? parts.join('; ') : 'defaults (batch size 256, no failure limit)';
};

/**
 * Model, version, source, target and options of the job's deployment. Until the deployment, its model and the
 * connection names have loaded, the facts say "loading…" (and are aria-busy), never "—", which means "none".
 */
export function JobFacts({
  job,
  deployment,
  loading,
}: {
  job: Job;
  deployment: Deployment | null;
  loading: boolean;
}) {
  const model = useLoad(
    () => (deployment ? api.getModel(deployment.model_id) : Promise.resolve(null)),
    [deployment?.model_id],
  );
  const conns = useLoad(() => api.listConnections({ limit: 1000 }).catch(() => null), []);
  const names = new Map((conns.data?.items ?? []).map((c) => [c.id, c.name]));
  const d = deployment;
  // model.loading alone is not enough: for one render after the deployment arrives it still describes the load of
  // "no model".
  const modelShown = d === null || model.data?.id === d.model_id || model.error !== undefined;
  const busy = loading || !modelShown || conns.loading;
  const none = loading ? 'loading…' : '—';
  return (
    <dl className="facts" data-testid="job-facts" aria-busy={busy}>
      <div className="fact">
        <dt>Model</dt>
        <dd>
          {d ? (
            <a href={`#/models/${encodeURIComponent(d.model_id)}`}>
              {model.data?.name ?? d.model_id.slice(0, 8)}
            </a>
          ) : (
            none
          )}
          {d ? ` version ${d.model_version}` : ''}
        </dd>
      </div>
      <div className="fact">
        <dt>Source</dt>
        <dd className="mono">{d ? placeText(d.source, names) : none}</dd>
      </div>
      <div className="fact">
        <dt>Target</dt>
        <dd className="mono">{d ? placeText(d.target, names) : none}</dd>
      </div>
      <div className="fact">
        <dt>Inputs</dt>
        <dd data-testid="job-input-format">{d ? formatSummary(d.options) : none}</dd>
      </div>
      <div className="fact">
        <dt>Options</dt>
        <dd>{d ? optionsText(d.options) : none}</dd>
      </div>
      <div className="fact">
        <dt>Runs</dt>
        <dd data-testid="job-mode">
          {job.mode === 'all'
            ? 'every input'
            : job.mode === 'resume'
              ? 'resume: inputs already scored skipped'
              : 'only the failed inputs'}
          {job.rerun_of && (
            <>
              {' '}
              (a rerun of job{' '}
              <a className="mono" href={`#/jobs/${encodeURIComponent(job.rerun_of)}`}>
                {job.rerun_of.slice(0, 8)}
              </a>
              )
            </>
          )}
        </dd>
      </div>
      {job.started_at && (
        <div className="fact">
          <dt>Started</dt>
          <dd>{new Date(job.started_at).toLocaleString()}</dd>
        </div>
      )}
    </dl>
  );
}

/** The outcome of an attempt in words. */
const outcomeText = (outcome: string) =>
  outcome === 'interrupted' ? 'interrupted by a server stop (resumed)' : outcome;

/**
 * What each attempt did (a job resumed after a server stop has one entry per stop, and one for the attempt
 * running now); for a rerun, what the job it reruns did first, with a link to it (its failures are there).
 */
export function Attempts({ job, final }: { job: Job; final: boolean }) {
  const earlier = useLoad(
    () => (job.rerun_of ? api.getJob(job.rerun_of).catch(() => null) : Promise.resolve(null)),
    [job.rerun_of],
  );
  const prior = earlier.data;
  const running = !final && job.attempts > job.history.length;
  if (!prior && job.history.length + (running ? 1 : 0) < 2) return null;
  return (
    <section className="card" aria-labelledby="attempts-title">
      <h2 id="attempts-title">Attempts</h2>
      <TableWrap label="Attempts table">
        <table data-testid="attempts-table">
          <thead>
            <tr>
              <th scope="col">Attempt</th>
              <th scope="col">Ended</th>
              <th scope="col">How</th>
              <th scope="col">Scored</th>
              <th scope="col">Skipped</th>
              <th scope="col">Failed</th>
            </tr>
          </thead>
          <tbody>
            {prior && (
              <tr data-testid="earlier-job">
                <td>
                  job{' '}
                  <a className="mono" href={`#/jobs/${encodeURIComponent(prior.id)}`}>
                    {prior.id.slice(0, 8)}
                  </a>{' '}
                  (rerun by this one)
                </td>
                <td>{prior.finished_at ? new Date(prior.finished_at).toLocaleString() : '—'}</td>
                <td>{prior.status}</td>
                <td>{fmt(prior.counts.scored)}</td>
                <td>{fmt(prior.counts.skipped)}</td>
                <td>{fmt(prior.counts.failed)}</td>
              </tr>
            )}
            {job.history.map((a) => (
              <tr key={a.attempt}>
                <td>{a.attempt}</td>
                <td>{new Date(a.ended_at).toLocaleString()}</td>
                <td>{outcomeText(a.outcome)}</td>
                <td>{fmt(a.scored)}</td>
                <td>{fmt(a.skipped)}</td>
                <td>{fmt(a.failed)}</td>
              </tr>
            ))}
            {running && (
              <tr>
                <td>{job.attempts}</td>
                <td>—</td>
                <td>running now</td>
                <td>{fmt(job.counts.scored)}</td>
                <td>{fmt(job.counts.skipped)}</td>
                <td>{fmt(job.counts.failed)}</td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

/** Saves text as a file the browser downloads (the API needs the key header, so no plain link). */
function save(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The report and the failures as files. */
export function Downloads({ job }: { job: Job }) {
  const [error, setError] = useState<string>();
  const short = job.id.slice(0, 8);
  const get = (what: 'report' | 'jsonl' | 'csv') => async () => {
    setError(undefined);
    try {
      if (what === 'report')
        save(
          `job-${short}-report.json`,
          JSON.stringify(await api.jobReport(job.id), null, 2),
          'application/json',
        );
      else
        save(
          `job-${short}-failures.${what}`,
          await api.jobFailuresFile(job.id, what),
          what === 'csv' ? 'text/csv' : 'application/x-ndjson',
        );
    } catch (err) {
      setError(`The download failed: ${message(err)}`);
    }
  };
  return (
    <fieldset className="downloads">
      <legend className="muted">Download</legend>
      <button type="button" className="secondary small" onClick={get('report')}>
        Report (JSON)
      </button>
      <button
        type="button"
        className="secondary small"
        onClick={get('jsonl')}
        disabled={job.counts.failed === 0}
      >
        Failures (JSONL)
      </button>
      <button
        type="button"
        className="secondary small"
        onClick={get('csv')}
        disabled={job.counts.failed === 0}
      >
        Failures (CSV)
      </button>
      {error && <span className="field-error">{error}</span>}
    </fieldset>
  );
}

/** Cancel (confirmed), Rerun (all / resume / only failed, confirmed) and Clone. */
export function JobActions(props: {
  job: Job;
  deployment: Deployment | null;
  final: boolean;
  onError: (message: string | undefined) => void;
}) {
  const { job, deployment, final } = props;
  const [dialog, setDialog] = useState<'cancel' | 'rerun' | null>(null);
  const [mode, setMode] = useState<Mode>('all');
  const [busy, setBusy] = useState(false);
  const act = (f: () => Promise<void>) => async () => {
    props.onError(undefined);
    setBusy(true);
    try {
      await f();
    } catch (err) {
      props.onError(message(err));
    } finally {
      setBusy(false);
      setDialog(null);
    }
  };
  const failedNone = job.counts.failed === 0;
  return (
    <div className="buttons">
      {!final && (
        <button type="button" className="danger" onClick={() => setDialog('cancel')}>
          Cancel job
        </button>
      )}
      {final && (
        <button
          type="button"
          onClick={() => {
            setMode('all');
            setDialog('rerun');
          }}
        >
          Rerun…
        </button>
      )}
      {deployment && (
        <button type="button" className="secondary" onClick={() => navigate(cloneDeployment(deployment))}>
          Clone
        </button>
      )}
      {dialog === 'cancel' && (
        <ConfirmDialog
          title="Cancel this job?"
          confirmLabel="Cancel the job"
          danger
          busy={busy}
          onCancel={() => setDialog(null)}
          onConfirm={act(async () => {
            await api.cancelJob(job.id);
          })}
        >
          <p>
            Inputs already scored keep their outputs; the rest are not scored. A rerun with “Resume” can
            finish it later.
          </p>
        </ConfirmDialog>
      )}
      {dialog === 'rerun' && (
        <ConfirmDialog
          title="Rerun this job"
          confirmLabel={`Rerun: ${MODES.find((m) => m.key === mode)?.label.toLowerCase()}`}
          busy={busy}
          onCancel={() => setDialog(null)}
          onConfirm={act(async () => {
            const next = await api.rerunJob(job.id, { mode });
            navigate(`#/jobs/${encodeURIComponent(next.id)}`);
          })}
        >
          <fieldset className="modes">
            <legend>Which inputs</legend>
            {MODES.map((m) => {
              const disabled = m.key === 'failed' && failedNone;
              return (
                <label key={m.key} className={`mode${disabled ? ' disabled' : ''}`}>
                  <input
                    type="radio"
                    name="rerun-mode"
                    value={m.key}
                    checked={mode === m.key}
                    disabled={disabled}
                    onChange={() => setMode(m.key)}
                  />
                  <span>
                    <strong>{m.label}</strong>
                    {m.key === 'failed' ? ` (${fmt(job.counts.failed)})` : ''}
                    <br />
                    <span className="muted">{disabled ? 'This job has no failed inputs.' : m.hint}</span>
                  </span>
                </label>
              );
            })}
          </fieldset>
        </ConfirmDialog>
      )}
    </div>
  );
}
