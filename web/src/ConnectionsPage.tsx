import { type FormEvent, useState } from 'react';
import { api, type Connection, type ConnectionInput, can } from './api';
import { DeleteConnection } from './ConnectionDelete';
import { Empty, ErrorBox, Field, Loading, message, TableWrap, useLoad } from './ui';
import { type ConnectionForm as ConnectionFields, type Errors, validateConnection } from './validate';

/** An empty form of a type (the type the user chose stays chosen after a save). */
const blank = (type: ConnectionFields['type'] = 's3'): ConnectionFields => ({
  name: '',
  type,
  endpoint: '',
  region: '',
  access_key: '',
  secret_key: '',
  path: '',
});

const body = (f: ConnectionFields): ConnectionInput =>
  f.type === 's3'
    ? {
        type: 's3',
        endpoint: f.endpoint.trim(),
        ...(f.region.trim() ? { region: f.region.trim() } : {}),
        access_key: f.access_key.trim(),
        secret_key: f.secret_key.trim(),
      }
    : { type: 'local', path: f.path.trim() };

export function ConnectionForm({ onSaved }: { onSaved: (c: Connection) => void }) {
  const [form, setForm] = useState<ConnectionFields>(() => blank());
  const [errors, setErrors] = useState<Errors<keyof ConnectionFields>>({});
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const set = (k: keyof ConnectionFields, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const check = (forTest: boolean) => {
    const found = validateConnection(forTest ? { ...form, name: form.name || 'test' } : form);
    setErrors(found);
    return Object.keys(found).length === 0;
  };
  const test = async () => {
    setStatus(null);
    if (!check(true)) return;
    setBusy('test');
    try {
      const r = await api.testConnection(body(form));
      const what = form.type === 's3' ? 'bucket' : 'sub-folder';
      setStatus({
        ok: true,
        text: `Connection works: ${r.buckets.length} ${what}${r.buckets.length === 1 ? '' : 's'} found${r.buckets.length ? ` (${r.buckets.slice(0, 5).join(', ')}${r.buckets.length > 5 ? ', …' : ''})` : ''}.`,
      });
    } catch (err) {
      setStatus({ ok: false, text: `Connection failed: ${message(err)}` });
    } finally {
      setBusy(null);
    }
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setStatus(null);
    if (!check(false)) return;
    setBusy('save');
    try {
      const c = await api.createConnection({
        name: form.name.trim(),
        ...body(form),
      });
      setForm((f) => blank(f.type));
      setStatus({
        ok: true,
        text: `Saved "${c.name}". Its keys are stored encrypted and will not be shown again.`,
      });
      onSaved(c);
    } catch (err) {
      setStatus({ ok: false, text: `Not saved: ${message(err)}` });
    } finally {
      setBusy(null);
    }
  };
  return (
    <form onSubmit={save} className="card form" noValidate aria-labelledby="conn-form-title">
      <h2 id="conn-form-title">Add a connection</h2>
      <fieldset className="radios">
        <legend>Type</legend>
        <label>
          <input
            type="radio"
            name="conn-type"
            checked={form.type === 's3'}
            onChange={() => set('type', 's3')}
          />{' '}
          S3 / IBM Cloud Object Storage
        </label>
        <label>
          <input
            type="radio"
            name="conn-type"
            checked={form.type === 'local'}
            onChange={() => set('type', 'local')}
          />{' '}
          Folder on the server
        </label>
      </fieldset>
      <Field
        label="Connection name"
        value={form.name}
        onChange={(v) => set('name', v)}
        error={errors.name}
        required
      />
      {form.type === 's3' ? (
        <>
          <Field
            label="Endpoint URL"
            value={form.endpoint}
            onChange={(v) => set('endpoint', v)}
            error={errors.endpoint}
            placeholder="https://s3.us-south.cloud-object-storage.appdomain.cloud"
            required
          />
          <Field
            label="Region"
            value={form.region}
            onChange={(v) => set('region', v)}
            placeholder="us-east-1"
          />
          <Field
            label="Access key"
            value={form.access_key}
            onChange={(v) => set('access_key', v)}
            error={errors.access_key}
            hint="HMAC access key id."
            required
          />
          <Field
            label="Secret key"
            type="password"
            autoComplete="new-password"
            value={form.secret_key}
            onChange={(v) => set('secret_key', v)}
            error={errors.secret_key}
            hint="Stored encrypted; never shown again after saving."
            required
          />
        </>
      ) : (
        <Field
          label="Folder path"
          value={form.path}
          onChange={(v) => set('path', v)}
          error={errors.path}
          placeholder="/data/mnist"
          hint="A folder the server can read and write."
          required
        />
      )}
      {status && (
        <div className={`alert ${status.ok ? 'ok' : 'error'}`} role={status.ok ? 'status' : 'alert'}>
          {status.text}
        </div>
      )}
      <div className="buttons">
        <button type="button" className="secondary" onClick={test} disabled={busy !== null}>
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="submit" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : 'Save connection'}
        </button>
      </div>
    </form>
  );
}

export function ConnectionsPage() {
  const list = useLoad(() => api.listConnections({ limit: 1000 }), []);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  return (
    <div className="page">
      <h1>Connections</h1>
      <div className="grid">
        <section className="card wide" aria-labelledby="conns-title">
          <h2 id="conns-title">Stored connections</h2>
          {deleting && (
            <DeleteConnection
              connection={deleting}
              onClose={() => setDeleting(null)}
              onDone={() => {
                setDeleting(null);
                list.reload();
              }}
            />
          )}
          {list.loading && !list.data && <Loading what="connections" reconnecting={list.reconnecting} />}
          {list.error && <ErrorBox error={list.error} retry={list.reload} />}
          {list.data && list.data.items.length === 0 && (
            <Empty>
              <p>
                No connections yet. Add the bucket your input files are in, and the one the predictions go to.
              </p>
            </Empty>
          )}
          {list.data && list.data.items.length > 0 && (
            <TableWrap label="Connections table">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Endpoint or folder</th>
                    <th scope="col">Access key</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((c) => (
                    <tr key={c.id}>
                      <td>{c.name}</td>
                      <td>{c.type === 's3' ? 'S3' : 'Folder'}</td>
                      <td className="mono">{c.endpoint ?? c.path}</td>
                      <td className="mono">{c.access_key_hint ?? '—'}</td>
                      <td>
                        {can('admin') && (
                          <button type="button" className="secondary small" onClick={() => setDeleting(c)}>
                            Delete<span className="visually-hidden"> {c.name}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
        {can('admin') && <ConnectionForm onSaved={() => list.reload()} />}
      </div>
    </div>
  );
}
