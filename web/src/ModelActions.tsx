import { useState } from 'react';
import { api, type Model, upload, type Version } from './api';
import { DeploymentLinks, type DeploymentRef, Dialog } from './Dialog';
import { ErrorBox, Field, Loading, message, navigate, ProgressBar, useLoad } from './ui';

type Open = 'rename' | 'version' | 'delete' | null;

/** Rename, "Upload a new version" and Delete of a model, each in a dialog. */
export function ModelActions({ model, onChanged }: { model: Model; onChanged: () => void }) {
  const [open, setOpen] = useState<Open>(null);
  const close = () => setOpen(null);
  return (
    <div className="buttons" data-testid="model-actions">
      <button type="button" className="secondary" onClick={() => setOpen('rename')}>
        Rename
      </button>
      <button type="button" className="secondary" onClick={() => setOpen('version')}>
        Upload a new version
      </button>
      <button type="button" className="danger" onClick={() => setOpen('delete')}>
        Delete model
      </button>
      {open === 'rename' && (
        <RenameModel
          model={model}
          onClose={close}
          onDone={() => {
            close();
            onChanged();
          }}
        />
      )}
      {open === 'version' && (
        <NewVersion
          model={model}
          onClose={close}
          onDone={() => {
            close();
            onChanged();
          }}
        />
      )}
      {open === 'delete' && <DeleteModel model={model} onClose={close} />}
    </div>
  );
}

function RenameModel({ model, onClose, onDone }: { model: Model; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(model.name);
  const [description, setDescription] = useState(model.description);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    if (!name.trim()) return setError('A model needs a name.');
    setBusy(true);
    try {
      await api.updateModel(model.id, { name: name.trim(), description });
      onDone();
    } catch (err) {
      setError(`Not saved: ${message(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Rename the model "${model.name}"`} onClose={onClose} testId="rename-model">
      <Field label="Model name" value={name} onChange={setName} required hint="Unique among models." />
      <Field label="Description" value={description} onChange={setDescription} multiline />
      {error && <ErrorBox error={error} />}
      <div className="buttons">
        <button type="button" onClick={save} disabled={busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

/** Uploads a file as the next version of a model; the earlier versions are kept. */
export function NewVersion({
  model,
  onClose,
  onDone,
}: {
  model: Model;
  onClose: () => void;
  onDone: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string>();
  const send = async () => {
    if (!file) return setError('Choose a model file first.');
    const form = new FormData();
    form.set('file', file, file.name);
    setProgress(0);
    setError(undefined);
    try {
      await upload<Version>(`/api/v1/models/${encodeURIComponent(model.id)}/versions`, form, setProgress);
      onDone();
    } catch (err) {
      setError(`The version was not added: ${message(err)}`);
    } finally {
      setProgress(null);
    }
  };
  return (
    <Dialog title={`Upload a new version of "${model.name}"`} onClose={onClose} testId="new-version">
      <p>
        The file becomes version {model.latest_version + 1}. Earlier versions are kept: each deployment keeps
        the version it uses until you change it in the deployment's Edit form.
      </p>
      <div className="field">
        <label htmlFor="version-file">Model file (.h5, .hdf5, .keras)</label>
        <input
          id="version-file"
          type="file"
          accept=".h5,.hdf5,.keras"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </div>
      {progress !== null && <ProgressBar value={progress} label="Upload progress" />}
      {error && <ErrorBox error={error} />}
      <div className="buttons">
        <button type="button" onClick={send} disabled={progress !== null}>
          Upload version {model.latest_version + 1}
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

function DeleteModel({ model, onClose }: { model: Model; onClose: () => void }) {
  const users = useLoad(() => usersOfModel(model.id), [model.id]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const remove = async (cascade: boolean) => {
    setBusy(true);
    try {
      await api.deleteModel(model.id, { deployments: cascade ? 'delete' : 'refuse' });
      navigate('#/models');
    } catch (err) {
      setError(`Not deleted: ${message(err)}`);
      users.reload();
    } finally {
      setBusy(false);
    }
  };
  const list = users.data;
  return (
    <Dialog title={`Delete the model "${model.name}"?`} onClose={onClose} testId="delete-model">
      {users.loading && !list && <Loading what="the deployments using it" />}
      {users.error && <ErrorBox error={users.error} retry={users.reload} />}
      {list && list.length === 0 && (
        <p>
          Its {model.latest_version === 1 ? 'version' : `${model.latest_version} versions`} and files are
          deleted.
        </p>
      )}
      {list && list.length > 0 && (
        <>
          <p>
            It is used by {list.length === 1 ? 'this deployment' : `these ${list.length} deployments`}: delete{' '}
            {list.length === 1 ? 'it' : 'them'} first, or delete {list.length === 1 ? 'it' : 'them'} with the
            model.
          </p>
          <DeploymentLinks items={list} />
          <p className="hint">
            {list.length === 1
              ? "Deleting it also deletes its job records (they refer to the model's versions). The predictions its jobs wrote to the target are never deleted."
              : "Deleting them also deletes their job records (they refer to the model's versions). The predictions their jobs wrote to the target are never deleted."}
          </p>
        </>
      )}
      {error && <ErrorBox error={error} />}
      <div className="buttons">
        {list && list.length === 0 && (
          <button type="button" className="danger" onClick={() => remove(false)} disabled={busy}>
            Delete model
          </button>
        )}
        {list && list.length > 0 && (
          <button type="button" className="danger" onClick={() => remove(true)} disabled={busy}>
            Delete the model and {list.length === 1 ? 'its deployment' : `its ${list.length} deployments`}
          </button>
        )}
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

async function usersOfModel(id: string): Promise<DeploymentRef[]> {
  const page = await api.listDeployments({ model: id, limit: 1000 });
  return page.items.map((d) => ({ id: d.id, name: d.name }));
}
