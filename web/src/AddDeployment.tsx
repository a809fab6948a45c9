import { type FormEvent, useEffect, useMemo, useState } from 'react';
import type { DeploymentInput, ValidationResult } from '../../src/contract/client';
import {
  api,
  type Connection,
  type Listing,
  type Model,
  type Preview,
  placeQuery,
  type Version,
} from './api';
import { CheckResults } from './Checks';
import { takeClone } from './clone';
import { fmt, naturalCompare } from './jobs';
import { ErrorBox, Field, Loading, message, navigate, Select, Tabs, useLoad } from './ui';
import { type BatchField, type BatchForm, type Errors, type PlaceForm, validateBatch } from './validate';

type Mode = 'batch' | 'online';

export function AddDeployment({ model, version }: { model: Model; version: Version }) {
  const [mode, setMode] = useState<Mode>('batch');
  return (
    <section aria-labelledby="add-title">
      <h2 id="add-title">Add Deployment</h2>
      <Tabs
        label="Deployment type"
        active={mode}
        onChange={setMode}
        tabs={[
          { key: 'batch', label: 'Batch Prediction' },
          { key: 'online', label: 'Online' },
        ]}
      >
        {mode === 'batch' ? (
          <BatchDeploymentForm model={model} />
        ) : (
          <OnlineDeploymentForm model={model} version={version} />
        )}
      </Tabs>
    </section>
  );
}

function OnlineDeploymentForm({ model, version }: { model: Model; version: Version }) {
  const [name, setName] = useState(`${model.name}-online`);
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError('Give the deployment a name.');
    setBusy(true);
    try {
      const d = await api.createDeployment({
        name: name.trim(),
        description,
        type: 'online',
        model: model.id,
        version: version.version,
      });
      navigate(`#/deployments/${encodeURIComponent(d.id)}`);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="card form" noValidate aria-label="Online deployment">
      <p className="muted">An online deployment scores records sent to it one request at a time.</p>
      <Field label="Name" value={name} onChange={setName} error={error} required />
      <Field label="Description" value={description} onChange={setDescription} multiline />
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create online deployment'}
      </button>
    </form>
  );
}

const emptyPlace = (): PlaceForm => ({ connection: '', bucket: '', prefix: '' });

export function BatchDeploymentForm({ model }: { model: Model }) {
  const conns = useLoad(() => api.listConnections({ limit: 1000 }), []);
  const [form, setForm] = useState<BatchForm & { extra?: DeploymentInput['options'] }>(
    () =>
      takeClone(model.id) ?? {
        name: '',
        description: '',
        source: emptyPlace(),
        target: emptyPlace(),
        batch_size: '',
        max_failures: '',
      },
  );
  const [checks, setChecks] = useState<ValidationResult | null>(null);
  const [step, setStep] = useState<'checking' | 'saving' | null>(null);
  const [errors, setErrors] = useState<Errors<BatchField>>({});
  const [submitError, setSubmitError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const kinds = useMemo(
    () => Object.fromEntries((conns.data?.items ?? []).map((c) => [c.id, c.type])),
    [conns.data],
  );
  const set = <K extends keyof BatchForm>(k: K, v: BatchForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const [tried, setTried] = useState(false);
  // After a first save attempt, messages follow the fields as they are fixed (no stale errors on valid input).
  useEffect(() => {
    if (!tried) return;
    const found = validateBatch(form, kinds);
    setErrors(found);
    if (Object.keys(found).length === 0) setSubmitError(undefined);
  }, [tried, form, kinds]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    const found = validateBatch(form, kinds);
    setErrors(found);
    setSubmitError(undefined);
    if (Object.keys(found).length) {
      setSubmitError('Fix the fields marked below, then save again.');
      return;
    }
    const place = (p: PlaceForm) => ({
      connection: p.connection,
      ...(p.bucket.trim() ? { bucket: p.bucket.trim() } : {}),
      ...(p.prefix.trim() ? { prefix: p.prefix.trim() } : {}),
    });
    const options: DeploymentInput['options'] = { ...form.extra };
    if (form.batch_size.trim()) options.batch_size = Number(form.batch_size);
    if (form.max_failures.trim()) options.max_failures = form.max_failures.trim();
    const input: DeploymentInput = {
      name: form.name.trim(),
      description: form.description,
      type: 'batch',
      model: model.id,
      source: place(form.source),
      target: place(form.target),
      options,
    };
    setBusy(true);
    setChecks(null);
    try {
      // The server's checks first (overlap, source inputs, writable target, a dry run): nothing the job would
      // refuse at once is saved.
      setStep('checking');
      const result = await api.validateDeployment(input);
      setChecks(result);
      if (!result.ok) return;
      setStep('saving');
      const d = await api.createDeployment(input);
      navigate(d.last_job ? `#/jobs/${encodeURIComponent(d.last_job.id)}` : `#/deployments/${d.id}`);
    } catch (err) {
      setSubmitError(`The deployment was not saved: ${message(err)}`);
    } finally {
      setBusy(false);
      setStep(null);
    }
  };
  if (conns.loading && !conns.data) return <Loading what="connections" />;
  if (conns.error) return <ErrorBox error={conns.error} retry={conns.reload} />;
  if (conns.data && conns.data.items.length === 0)
    return (
      <div className="empty">
        <p>
          A batch deployment reads its inputs from a connection and writes to one. Add a connection first.
        </p>
        <a className="button" href="#/connections">
          Add a connection
        </a>
      </div>
    );
  const connections = conns.data?.items ?? [];
  return (
    <form onSubmit={submit} className="form" noValidate aria-label="Batch deployment">
      {submitError && <ErrorBox error={submitError} />}
      <div className="card">
        <Field label="Name" value={form.name} onChange={(v) => set('name', v)} error={errors.name} required />
        <Field
          label="Description"
          value={form.description}
          onChange={(v) => set('description', v)}
          error={errors.description}
          multiline
        />
      </div>
      <PlacePicker
        side="source"
        title="Select source"
        connections={connections}
        value={form.source}
        onChange={(p) => set('source', p)}
        errors={errors}
      />
      <PlacePicker
        side="target"
        title="Select target"
        connections={connections}
        value={form.target}
        onChange={(p) => set('target', p)}
        errors={errors}
      />
      <fieldset className="card">
        <legend>Options</legend>
        <div className="two">
          <Field
            label="Batch size"
            value={form.batch_size}
            onChange={(v) => set('batch_size', v)}
            error={errors.batch_size}
            placeholder="256"
            hint="Records scored together (default 256)."
          />
          <Field
            label="Max failures"
            value={form.max_failures}
            onChange={(v) => set('max_failures', v)}
            error={errors.max_failures}
            placeholder="no limit"
            hint="Stop early after this many failed inputs: 10 or 5%."
          />
        </div>
      </fieldset>
      {checks && <CheckResults result={checks} saved={step === 'saving'} />}
      <button type="submit" disabled={busy}>
        {step === 'checking' ? 'Checking…' : busy ? 'Saving…' : 'Save'}
      </button>
      {step === 'checking' && (
        <p className="muted" role="status">
          Checking the deployment: the source, the target and a dry run of the first inputs…
        </p>
      )}
    </form>
  );
}

function PlacePicker(props: {
  side: 'source' | 'target';
  title: string;
  connections: Connection[];
  value: PlaceForm;
  onChange: (p: PlaceForm) => void;
  errors: Errors<BatchField>;
}) {
  const { side, value } = props;
  const conn = props.connections.find((c) => c.id === value.connection);
  const [buckets, setBuckets] = useState<string[] | null>(null);
  const [bucketError, setBucketError] = useState<string>();
  const [listing, setListing] = useState<Listing | null>(null);
  const [listError, setListError] = useState<string>();
  const [listing_busy, setListingBusy] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  useEffect(() => {
    setBuckets(null);
    setBucketError(undefined);
    setListing(null);
    setPreview(null);
    if (!value.connection) return;
    let live = true;
    api.listBuckets(value.connection).then(
      (r) => live && setBuckets(r.items),
      (err: unknown) =>
        live && setBucketError(`Could not list the buckets: ${message(err)}. Type the name instead.`),
    );
    return () => {
      live = false;
    };
  }, [value.connection]);
  const browse = async () => {
    setListingBusy(true);
    setListError(undefined);
    setPreview(null);
    try {
      const l = await api.listObjects(value.connection, { ...placeQuery(value), limit: 20 });
      setListing(l);
      const first = l.items.find((i) => i.key.endsWith('.json')) ?? l.items[0];
      if (first) {
        setPreview(await api.previewObject(value.connection, { ...placeQuery(value), key: first.key }));
      }
    } catch (err) {
      setListing(null);
      setListError(message(err));
    } finally {
      setListingBusy(false);
    }
  };
  const set = (p: Partial<PlaceForm>) => {
    props.onChange({ ...value, ...p });
    if (p.bucket !== undefined || p.prefix !== undefined) setListing(null);
  };
  const e = (f: 'connection' | 'bucket' | 'prefix') => props.errors[`${side}.${f}` as BatchField];
  return (
    <fieldset className="card">
      <legend>{props.title}</legend>
      <div className="three">
        <Select
          label={`${side === 'source' ? 'Source' : 'Target'} connection`}
          value={value.connection}
          onChange={(c) => props.onChange({ connection: c, bucket: '', prefix: '' })}
          options={props.connections.map((c) => ({
            value: c.id,
            label: `${c.name} (${c.type === 's3' ? 'S3' : 'folder'})`,
          }))}
          error={e('connection')}
          required
        />
        {buckets && buckets.length > 0 ? (
          <Select
            label={`${side === 'source' ? 'Source' : 'Target'} ${conn?.type === 'local' ? 'sub-folder' : 'bucket'}`}
            value={value.bucket}
            onChange={(b) => set({ bucket: b })}
            options={buckets.map((b) => ({ value: b, label: b }))}
            placeholder={conn?.type === 'local' ? '(the folder itself)' : 'Choose a bucket…'}
            error={e('bucket')}
            required={conn?.type === 's3'}
          />
        ) : (
          <Field
            label={`${side === 'source' ? 'Source' : 'Target'} ${conn?.type === 'local' ? 'sub-folder' : 'bucket'}`}
            value={value.bucket}
            onChange={(b) => set({ bucket: b })}
            error={e('bucket') ?? bucketError}
            hint={value.connection && !buckets ? 'Loading the buckets…' : undefined}
            required={conn?.type === 's3'}
          />
        )}
        <Field
          label={`${side === 'source' ? 'Source' : 'Target'} prefix`}
          value={value.prefix}
          onChange={(p) => set({ prefix: p })}
          error={e('prefix')}
          placeholder="(none)"
          hint={
            side === 'target'
              ? 'Outputs go under this prefix; it may not overlap the source.'
              : 'Optional folder in the bucket.'
          }
        />
      </div>
      {side === 'source' && (
        <div className="browse">
          <button
            type="button"
            className="secondary"
            onClick={browse}
            disabled={!value.connection || (conn?.type === 's3' && !value.bucket) || listing_busy}
          >
            {listing_busy ? 'Listing…' : 'Browse the source'}
          </button>
          {listError && <ErrorBox error={`The source cannot be listed: ${listError}`} />}
          {listing && (
            <div className="listing" aria-live="polite">
              <p>
                <strong>
                  {fmt(listing.count)}
                  {listing.count_capped ? '+' : ''} objects
                </strong>{' '}
                in the source
                {listing.count > listing.items.length ? `; the first ${listing.items.length}:` : ':'}
              </p>
              {listing.count === 0 ? (
                <p className="muted">The source is empty: upload the input files to it first.</p>
              ) : (
                <ul className="keys">
                  {[...listing.items]
                    .sort((a, b) => naturalCompare(a.key, b.key))
                    .map((i) => (
                      <li key={i.key} className="mono">
                        {i.key}
                      </li>
                    ))}
                </ul>
              )}
              {preview && (
                <figure className="preview">
                  <figcaption>
                    Preview of <span className="mono">{preview.key}</span>
                  </figcaption>
                  {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable) */}
                  <pre tabIndex={0}>
                    {preview.text.slice(0, 2000)}
                    {preview.text.length > 2000 || preview.truncated ? '\n…' : ''}
                  </pre>
                </figure>
              )}
            </div>
          )}
        </div>
      )}
    </fieldset>
  );
}
