/** Jobs across deployments: filters (status, deployment, time), a search, pages. */
import { type FormEvent, useState } from 'react';
import { api, type Job, type JobStatus } from './api';
import { barValue, fmt, jobState } from './jobs';
import { Badge, duration, Empty, ErrorBox, Loading, Select, TableWrap, useLoad, useTitle } from './ui';

const PAGE = 20;
const STATUSES: JobStatus[] = ['queued', 'running', 'completed', 'failed', 'canceled'];
const RANGES: { value: string; label: string; ms: number }[] = [
  { value: '1h', label: 'Last hour', ms: 3600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];

const jobDuration = (j: Job) => {
  if (j.duration_ms !== null) return duration(j.duration_ms);
  if (!j.started_at) return '—';
  const end = j.finished_at ? Date.parse(j.finished_at) : Date.now();
  return duration(end - Date.parse(j.started_at));
};

export function JobsPage() {
  useTitle('Jobs');
  const [status, setStatus] = useState('');
  const [deployment, setDeployment] = useState('');
  const [range, setRange] = useState('');
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const deployments = useLoad(() => api.listDeployments({ limit: 1000 }), []);
  const names = new Map((deployments.data?.items ?? []).map((d) => [d.id, d.name]));
  const jobs = useLoad(
    () => {
      const r = RANGES.find((x) => x.value === range);
      return api.listJobs({
        limit: PAGE,
        offset,
        status: status ? [status as JobStatus] : undefined,
        deployment: deployment || undefined,
        since: r ? new Date(Date.now() - r.ms).toISOString() : undefined,
        q: q || undefined,
      });
    },
    [status, deployment, range, q, offset],
    (page) => page.items.some((j) => !jobState(j).final),
  );
  const reset =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setOffset(0);
    };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQ(search.trim());
    setOffset(0);
  };
  const total = jobs.data?.total ?? 0;
  return (
    <div className="page">
      <h1>Jobs</h1>
      <p className="muted">Every batch job, newest first, across deployments.</p>
      <form className="card filters" onSubmit={submit} aria-label="Filter the jobs">
        <Select
          label="Status"
          value={status}
          onChange={reset(setStatus)}
          options={STATUSES.map((s) => ({ value: s, label: s }))}
          placeholder="Any status"
        />
        <Select
          label="Deployment"
          value={deployment}
          onChange={reset(setDeployment)}
          options={(deployments.data?.items ?? [])
            .filter((d) => d.type === 'batch')
            .map((d) => ({ value: d.id, label: d.name }))}
          placeholder="Any deployment"
        />
        <Select
          label="Created"
          value={range}
          onChange={reset(setRange)}
          options={RANGES}
          placeholder="Any time"
        />
        <div className="field search-field">
          <label htmlFor="jobs-search">Search</label>
          <div className="search-row">
            <input
              id="jobs-search"
              type="search"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              placeholder="job id or deployment name"
            />
            <button type="submit" className="secondary">
              Search
            </button>
          </div>
        </div>
      </form>
      {jobs.error && <ErrorBox error={jobs.error} retry={jobs.reload} />}
      {jobs.loading && !jobs.data && <Loading what="jobs" />}
      {jobs.data && total === 0 && (
        <Empty>
          {status || deployment || range || q
            ? 'No job matches these filters.'
            : 'No jobs yet: a batch deployment runs one when it is saved.'}
        </Empty>
      )}
      {jobs.data && total > 0 && (
        <section className="card" aria-labelledby="jobs-count">
          <h2 id="jobs-count" data-testid="jobs-count">
            {fmt(total)} job{total === 1 ? '' : 's'}
          </h2>
          <TableWrap label="Jobs table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Deployment</th>
                  <th scope="col">Status</th>
                  <th scope="col">Done</th>
                  <th scope="col">Failures</th>
                  <th scope="col">Created</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data.items.map((j) => {
                  const state = jobState(j);
                  const v = barValue(j);
                  return (
                    <tr key={j.id} data-testid="job-row">
                      <td>
                        <a className="mono" href={`#/jobs/${encodeURIComponent(j.id)}`}>
                          {j.id.slice(0, 8)}
                        </a>
                      </td>
                      <td>
                        <a href={`#/deployments/${encodeURIComponent(j.deployment_id)}`}>
                          {names.get(j.deployment_id) ?? j.deployment_id.slice(0, 8)}
                        </a>
                      </td>
                      <td>
                        <Badge status={state.label} tone={state.tone} state={state.key} />
                        {j.mode !== 'all' && (
                          <span className="muted small">
                            {' '}
                            {j.mode === 'failed' ? 'failed inputs' : 'resume'}
                          </span>
                        )}
                      </td>
                      <td>
                        {v === null
                          ? `${fmt(j.counts.scored + j.counts.failed + j.counts.skipped)}+`
                          : `${Math.floor(v * 100)}%`}
                      </td>
                      <td>{fmt(j.counts.failed)}</td>
                      <td>{new Date(j.created_at).toLocaleString()}</td>
                      <td>{jobDuration(j)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          <nav className="pager" aria-label="Jobs pages">
            <button
              type="button"
              className="secondary small"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(0, offset - PAGE))}
            >
              Previous
            </button>
            <span>
              {fmt(offset + 1)}–{fmt(Math.min(offset + PAGE, total))} of {fmt(total)}
            </span>
            <button
              type="button"
              className="secondary small"
              disabled={offset + PAGE >= total}
              onClick={() => setOffset(offset + PAGE)}
            >
              Next
            </button>
          </nav>
        </section>
      )}
    </div>
  );
}
