import { useState } from 'react';
import { api, type Deployment, type Model } from './api';
import { Dialog, JobRecordsChoice } from './Dialog';
import { ErrorBox, Field, message, navigate, Select } from './ui';

type Open = 'edit' | 'delete' | null;

/** "Run now", Edit and Delete of a deployment. */
export function DeploymentActions(props: { deployment: Deployment; model: Model; onChanged: () => void }) {
  const d = props.deployment;
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const job = await api.runDeployment(d.id);
      navigate(`#/jobs/${encodeURIComponent(job.id)}`);
    } catch (err) {
      setError(`Not started: ${message(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="deployment-actions">
      <div className="buttons">
        {d.type === 'batch' && (
          <button type="button" onClick={run} disabled={busy}>
            Run now
          </button>
        )}
        <button type="button" className="secondary" onClick={() => setOpen('edit')}>
          Edit
        </button>
        <button type="button" className="danger" onClick={() => setOpen('delete')}>
          Delete deployment
        </button>
      </div>
      {error && <ErrorBox error={error} />}
      {open === 'edit' && (
        <EditDeployment
          deployment={d}
          model={props.model}
          onClose={() => setOpen(null)}
          onDone={() => {
            setOpen(null);
            props.onChanged();
          }}
        />
      )}
      {open === 'delete' && <DeleteDeployment deployment={d} onClose={() => setOpen(null)} />}
    </div>
  );
}

function EditDeployment(props: {
  deployment: Deployment;
  model: Model;
  onClose: () => void;
  onDone: () => void;
}) {
  const d = props.deployment;
  const [name, setName] = useState(d.name);
  const [description, setDescription] = useState(d.description);
  const [version, setVersion] = useState(String(d.model_version));
  const [batchSize, setBatchSize] = useState(d.options.batch_size ? String(d.options.batch_size) : '');
  const [maxFailures, setMaxFailures] = useState(d.options.max_failures ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const save = async () => {
    const problems: Record<string, string> = {};
    if (!name.trim()) problems.name = 'A deployment needs a name.';
    if (batchSize && !/^\d+$/.test(batchSize.trim())) problems.batch = 'A whole number of records, like 32.';
    if (maxFailures && !/^\s*\d+(\.\d+)?\s*%?\s*$/.test(maxFailures))
      problems.failures = 'A count (10) or a percentage (5%).';
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    const options = { ...d.options };
    delete options.batch_size;
    delete options.max_failures;
    if (batchSize) options.batch_size = Number(batchSize);
    if (maxFailures.trim()) options.max_failures = maxFailures.trim();
    setBusy(true);
    try {
      await api.updateDeployment(d.id, { name: name.trim(), description, version: Number(version), options });
      props.onDone();
    } catch (err) {
      setErrors({ form: `Not saved: ${message(err)}` });
    } finally {
      setBusy(false);
    }
  };
  const versions = (props.model.versions ?? []).map((v) => ({
    value: String(v.version),
    label: `Version ${v.version}${v.version === props.model.latest_version ? ' (latest)' : ''}: ${v.file_name}`,
  }));
  return (
    <Dialog title={`Edit the deployment "${d.name}"`} onClose={props.onClose} testId="edit-deployment">
      <Field
        label="Name"
        value={name}
        onChange={setName}
        required
        error={errors.name}
        hint="Unique among deployments."
      />
      <Field label="Description" value={description} onChange={setDescription} multiline />
      <Select
        label={`Version of the model "${props.model.name}"`}
        value={version}
        onChange={setVersion}
        options={versions}
        required
      />
      {d.type === 'batch' && (
        <>
          <Field
            label="Batch size"
            value={batchSize}
            onChange={setBatchSize}
            error={errors.batch}
            hint="Records per call of the model; empty for the default."
          />
          <Field
            label="Stop early after this many failed inputs"
            value={maxFailures}
            onChange={setMaxFailures}
            error={errors.failures}
            hint="A count (10) or a percentage (5%); empty to never stop early."
          />
          <p className="hint">
            The source and the target are not edited: add a new deployment for other places.
          </p>
        </>
      )}
      {errors.form && <ErrorBox error={errors.form} />}
      <div className="buttons">
        <button type="button" onClick={save} disabled={busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

function DeleteDeployment({ deployment: d, onClose }: { deployment: Deployment; onClose: () => void }) {
  const [jobs, setJobs] = useState<'delete' | 'keep'>('delete');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const running = d.last_job && (d.last_job.status === 'queued' || d.last_job.status === 'running');
  const remove = async () => {
    setBusy(true);
    try {
      await api.deleteDeployment(d.id, { jobs });
      navigate(`#/models/${encodeURIComponent(d.model_id)}/deployments`);
    } catch (err) {
      setError(`Not deleted: ${message(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete the deployment "${d.name}"?`} onClose={onClose} testId="delete-deployment">
      {running && <p className="alert">Its running job is canceled first.</p>}
      {d.type === 'batch' ? (
        <JobRecordsChoice value={jobs} onChange={setJobs} />
      ) : (
        <p>Its scoring URL stops answering.</p>
      )}
      {error && <ErrorBox error={error} />}
      <div className="buttons">
        <button type="button" className="danger" onClick={remove} disabled={busy}>
          Delete deployment
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
