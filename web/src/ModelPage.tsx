import { AddDeployment } from './AddDeployment';
import { api, can, type Deployment } from './api';
import { fmt, jobState } from './jobs';
import { ModelActions } from './ModelActions';
import {
  Badge,
  bytes,
  Empty,
  ErrorBox,
  Loading,
  navigate,
  Reconnecting,
  shape,
  TableWrap,
  Tabs,
  useLoad,
  useTitle,
} from './ui';

type Tab = 'overview' | 'deployments' | 'add';

/** The badge of a deployment: online, or the state of its last job. */
export function deploymentStatus(d: Deployment): { status: string; tone: string; state?: string } {
  if (d.type === 'online') return { status: 'online', tone: 'ok' };
  if (!d.last_job) return { status: 'no job yet', tone: 'neutral' };
  const state = jobState(d.last_job);
  return { status: state.label, tone: state.tone, state: state.key };
}

export function ModelPage({ id, tab }: { id: string; tab?: string }) {
  const model = useLoad(() => api.getModel(id), [id]);
  useTitle(model.data ? `${model.data.name}${tab === 'add' ? ': add a deployment' : ''}` : null);
  const active: Tab = tab === 'deployments' || tab === 'add' ? tab : 'overview';
  const go = (t: Tab) => navigate(`#/models/${encodeURIComponent(id)}${t === 'overview' ? '' : `/${t}`}`);
  if (model.loading && !model.data) return <Loading what="the model" reconnecting={model.reconnecting} />;
  if (model.error || !model.data)
    return (
      <div className="page">
        <ErrorBox error={model.error ?? 'not found'} retry={model.reload} />
        <a href="#/models">Back to the models</a>
      </div>
    );
  const m = model.data;
  const v = m.versions?.find((x) => x.version === m.latest_version) ?? m.versions?.at(-1);
  return (
    <div className="page">
      <p className="crumbs">
        <a href="#/models">Models</a> / {m.name}
      </p>
      <h1>{m.name}</h1>
      {m.description && <p className="muted">{m.description}</p>}
      {can('editor') && <ModelActions model={m} onChanged={model.reload} />}
      <Tabs
        label="Model"
        active={active}
        onChange={go}
        tabs={[
          { key: 'overview', label: 'Overview' },
          { key: 'deployments', label: 'Deployments' },
          ...(can('editor') ? [{ key: 'add' as const, label: 'Add Deployment' }] : []),
        ]}
      >
        {active === 'overview' && v && (
          <div className="grid">
            <section className="card" aria-labelledby="io-title">
              <h2 id="io-title">Inputs and outputs</h2>
              <dl className="facts">
                <dt>Keras version</dt>
                <dd>{v.keras_version}</dd>
                <dt>Format</dt>
                <dd>{v.format}</dd>
                <dt>Parameters</dt>
                <dd>{v.params.toLocaleString()}</dd>
                {v.inputs.map((t) => (
                  <div key={`in-${t.name}`} className="fact">
                    <dt>Input {t.name}</dt>
                    <dd className="mono">
                      {shape(t.shape)} {t.dtype}
                    </dd>
                  </div>
                ))}
                {v.outputs.map((t) => (
                  <div key={`out-${t.name}`} className="fact">
                    <dt>Output {t.name}</dt>
                    <dd className="mono">
                      {shape(t.shape)} {t.dtype}
                    </dd>
                  </div>
                ))}
              </dl>
            </section>
            <section className="card" aria-labelledby="versions-title">
              <h2 id="versions-title">Versions</h2>
              <TableWrap label="Versions table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">File</th>
                      <th scope="col">Size</th>
                      <th scope="col">Added</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(m.versions ?? []).map((x) => (
                      <tr key={x.id}>
                        <td>{x.version}</td>
                        <td className="mono">{x.file_name}</td>
                        <td>{bytes(x.size)}</td>
                        <td>{new Date(x.created_at).toLocaleString()}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </section>
            <section className="card wide" aria-labelledby="layers-title">
              <h2 id="layers-title">Layers</h2>
              <TableWrap label="Layers table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Class</th>
                      <th scope="col">Output shape</th>
                      <th scope="col" className="num">
                        Parameters
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {v.layers.map((l) => (
                      <tr key={l.name}>
                        <td className="mono">{l.name}</td>
                        <td>{l.class_name}</td>
                        <td className="mono">
                          {(l.output_shapes ?? [])
                            .map((s) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`)
                            .join(' ') || '—'}
                        </td>
                        <td className="num">{l.params.toLocaleString()}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </section>
          </div>
        )}
        {active === 'deployments' && <DeploymentsList modelId={m.id} onAdd={() => go('add')} />}
        {active === 'add' && v && <AddDeployment model={m} version={v} />}
      </Tabs>
    </div>
  );
}

function DeploymentsList({ modelId, onAdd }: { modelId: string; onAdd: () => void }) {
  const list = useLoad(
    () => api.listDeployments({ limit: 1000, model: modelId }),
    [modelId],
    (page) => page.items.some((d) => d.last_job && !jobState(d.last_job).final),
  );
  return (
    <section aria-labelledby="deps-title">
      <div className="row-between">
        <h2 id="deps-title">Deployments</h2>
        {can('editor') && (
          <button type="button" onClick={onAdd}>
            Add Deployment
          </button>
        )}
      </div>
      {list.loading && !list.data && <Loading what="deployments" reconnecting={list.reconnecting} />}
      {list.data && list.reconnecting && <Reconnecting what="the deployments" />}
      {list.error && <ErrorBox error={list.error} retry={list.reload} />}
      {list.data && list.data.items.length === 0 && (
        <Empty>
          <p>
            This model has no deployments. Add a batch deployment to score a bucket of inputs, or an online
            one.
          </p>
        </Empty>
      )}
      {list.data && list.data.items.length > 0 && (
        <TableWrap label="Deployments table">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col">Last job</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={`#/deployments/${encodeURIComponent(d.id)}`}>{d.name}</a>
                  </td>
                  <td>{d.type === 'batch' ? 'Batch' : 'Online'}</td>
                  <td>
                    <Badge {...deploymentStatus(d)} />
                  </td>
                  <td>{d.model_version}</td>
                  <td>
                    {d.last_job ? (
                      <a href={`#/jobs/${encodeURIComponent(d.last_job.id)}`}>
                        {fmt(d.last_job.counts.scored + d.last_job.counts.skipped)} of{' '}
                        {fmt(d.last_job.counts.total)} scored
                        {d.last_job.counts.failed ? `, ${fmt(d.last_job.counts.failed)} failed` : ''}
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
