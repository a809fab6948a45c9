import { type DragEvent, useRef, useState } from 'react';
import { ApiFailure, api, can, type Model, type ModelCreated, upload, type Version } from './api';
import {
  Empty,
  ErrorBox,
  Field,
  Loading,
  message,
  navigate,
  ProgressBar,
  shape,
  TableWrap,
  useLoad,
} from './ui';

interface Row {
  model: Model;
  version?: Version;
  deployments: number;
}

async function loadModels(): Promise<Row[]> {
  const [models, deployments] = await Promise.all([
    api.listModels({ limit: 1000 }),
    api.listDeployments({ limit: 1000 }),
  ]);
  const full = await Promise.all(models.items.map((m) => api.getModel(m.id)));
  return full.map((model) => ({
    model,
    version: model.versions?.find((v) => v.version === model.latest_version) ?? model.versions?.at(-1),
    deployments: deployments.items.filter((d) => d.model_id === model.id).length,
  }));
}

const io = (v?: Version) =>
  v
    ? `${v.inputs.map((t) => shape(t.shape)).join(', ')} → ${v.outputs.map((t) => shape(t.shape)).join(', ')}`
    : '';

export function UploadModel({ onUploaded }: { onUploaded: (modelId: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  // The name follows the chosen file until the user types one (then it is theirs).
  const [named, setNamed] = useState(false);
  const [taken, setTaken] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string>();
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const pick = (f: File | undefined) => {
    setError(undefined);
    if (!f) return;
    if (!/\.(h5|hdf5|keras)$/i.test(f.name)) {
      setError(
        `"${f.name}" is not a Keras model file: choose a .h5, .hdf5 or .keras file saved with model.save().`,
      );
      return;
    }
    setFile(f);
    setTaken(null);
    if (!named) setName(f.name.replace(/\.(h5|hdf5|keras)$/i, ''));
  };
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    pick(e.dataTransfer.files[0]);
  };
  const send = async (asVersion?: string) => {
    if (!file) {
      setError('Choose a model file first.');
      return;
    }
    const form = new FormData();
    if (name.trim() && !asVersion) form.set('name', name.trim());
    form.set('file', file, file.name);
    setProgress(0);
    setError(undefined);
    setTaken(null);
    try {
      const model = asVersion
        ? (
            await upload<Version>(
              `/api/v1/models/${encodeURIComponent(asVersion)}/versions`,
              form,
              setProgress,
            )
          ).model_id
        : (await upload<ModelCreated>('/api/v1/models', form, setProgress)).model.id;
      setFile(null);
      setName('');
      setNamed(false);
      onUploaded(model);
    } catch (err) {
      if (err instanceof ApiFailure && err.code === 'REPO_CONFLICT' && !asVersion) setTaken(name.trim());
      setError(`The model was not added: ${message(err)}`);
    } finally {
      setProgress(null);
    }
  };
  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a model</h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target; keyboard users choose the file with the button inside */}
      <div
        className={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        data-testid="dropzone"
      >
        <p>Drag a Keras model file (.h5, .keras) here, or</p>
        <label className="button secondary" htmlFor="model-file">
          Choose a file
        </label>
        <input
          ref={input}
          id="model-file"
          className="visually-hidden"
          type="file"
          accept=".h5,.hdf5,.keras"
          onChange={(e) => pick(e.target.files?.[0])}
        />
        {file && <p className="chosen">Chosen: {file.name}</p>}
      </div>
      <Field
        label="Model name"
        value={name}
        onChange={(v) => {
          setName(v);
          setNamed(v !== '');
          setTaken(null);
        }}
        hint="Unique; follows the chosen file's name until you type one."
      />
      {progress !== null && (
        <div>
          <ProgressBar value={progress} label="Upload progress" />
          <p className="muted">
            {progress < 1 ? `Uploading… ${Math.round(progress * 100)}%` : 'Loading and compiling the model…'}
          </p>
        </div>
      )}
      {error && <ErrorBox error={error} />}
      {taken && (
        <p data-testid="name-taken">
          A model named "{taken}" exists.{' '}
          <button
            type="button"
            className="secondary"
            onClick={() => send(taken)}
            disabled={progress !== null}
          >
            Upload as a new version of "{taken}"
          </button>{' '}
          or choose another name.
        </p>
      )}
      <button type="button" onClick={() => send()} disabled={progress !== null}>
        Upload model
      </button>
    </section>
  );
}

export function ModelsPage() {
  const rows = useLoad(loadModels, []);
  return (
    <div className="page">
      <h1>Models</h1>
      <div className="grid">
        <section aria-labelledby="models-title" className="card wide">
          <h2 id="models-title">Your models</h2>
          {rows.loading && !rows.data && <Loading what="models" reconnecting={rows.reconnecting} />}
          {rows.error && <ErrorBox error={rows.error} retry={rows.reload} />}
          {rows.data && rows.data.length === 0 && (
            <Empty>
              <p>No models yet. Upload a Keras model file saved with model.save() to deploy it.</p>
            </Empty>
          )}
          {rows.data && rows.data.length > 0 && (
            <TableWrap label="Models table">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Keras version</th>
                    <th scope="col">Inputs → outputs</th>
                    <th scope="col">Versions</th>
                    <th scope="col">Deployments</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.data.map((r) => (
                    <tr key={r.model.id}>
                      <td>
                        <a href={`#/models/${encodeURIComponent(r.model.id)}`}>{r.model.name}</a>
                      </td>
                      <td>{r.version?.keras_version ?? '—'}</td>
                      <td className="mono">{io(r.version)}</td>
                      <td>{r.model.versions?.length ?? r.model.latest_version}</td>
                      <td>{r.deployments}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
        {can('editor') && <UploadModel onUploaded={(id) => navigate(`#/models/${encodeURIComponent(id)}`)} />}
      </div>
    </div>
  );
}
