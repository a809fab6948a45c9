/** The source or target of a batch deployment: connection, bucket (or sub-folder), prefix; the source can be browsed. */
import { useEffect, useState } from 'react';
import { api, type Connection, type Listing, type Preview, placeQuery } from './api';
import { fmt, naturalCompare } from './jobs';
import { ErrorBox, Field, message, Select } from './ui';
import type { BatchField, Errors, PlaceForm } from './validate';

export function PlacePicker(props: {
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
            hint={value.connection && !buckets && !bucketError ? 'Loading the buckets…' : undefined}
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
