import { type FormEvent, useEffect, useMemo, useState } from 'react';
import type { DeploymentInput, ValidationResult } from '../../src/contract/client';
import { api, type Model, type Version } from './api';
import { CheckResults } from './Checks';
import { takeClone } from './clone';
import { FormatFields } from './FormatFields';
import {
  type FormatField,
  type FormatForm,
  formatOptions,
  splitFormatOptions,
  validateFormat,
} from './format-form';
import { PlacePicker } from './PlacePicker';
import { ErrorBox, Field, Loading, message, navigate, Tabs, useLoad } from './ui';
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

type BatchFormState = BatchForm & { extra?: DeploymentInput['options']; format: FormatForm };
const validateAll = (f: BatchFormState, kinds: Record<string, 's3' | 'local'>) => ({
  ...validateBatch(f, kinds),
  ...validateFormat(f.format),
});

export function BatchDeploymentForm({ model }: { model: Model }) {
  const conns = useLoad(() => api.listConnections({ limit: 1000 }), []);
  const [form, setForm] = useState<BatchFormState>(() => {
    const clone = takeClone(model.id);
    const { format, rest } = splitFormatOptions(clone?.extra);
    return clone
      ? { ...clone, extra: rest, format }
      : {
          name: '',
          description: '',
          source: emptyPlace(),
          target: emptyPlace(),
          batch_size: '',
          max_failures: '',
          format,
        };
  });
  const [checks, setChecks] = useState<ValidationResult | null>(null);
  const [step, setStep] = useState<'checking' | 'saving' | null>(null);
  const [errors, setErrors] = useState<Errors<BatchField | FormatField>>({});
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
    const found = validateAll(form, kinds);
    setErrors(found);
    if (Object.keys(found).length === 0) setSubmitError(undefined);
  }, [tried, form, kinds]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    const found = validateAll(form, kinds);
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
    const options: DeploymentInput['options'] = { ...form.extra, ...formatOptions(form.format) };
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
      <FormatFields
        value={form.format}
        onChange={(f) => setForm((s) => ({ ...s, format: f }))}
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
