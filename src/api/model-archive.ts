import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { extract } from 'tar-stream';
import { ApiError } from './errors.js';

const MODEL_FILE = /\.(h5|hdf5|keras)$/i;
const HDF5 = [0x89, 0x48, 0x44, 0x46];
const startsWith = (bytes: Uint8Array, sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
const refuse = (message: string) => new ApiError(422, 'MODEL_ARCHIVE_INVALID', message);
/** Folders and files an archiver adds that are not the model (macOS resource forks, hidden files). */
const skipped = (path: string) => path.split('/').some((p) => p.startsWith('.') && p !== '.' && p !== '..');

/** The one model file of an archive's entries, or a 422 naming what was found. */
function pickOne(entries: { path: string; bytes: Uint8Array }[], what: string) {
  const models = entries.filter((e) => MODEL_FILE.test(e.path) && !skipped(e.path));
  if (models.length === 1)
    return { name: models[0].path.split('/').pop() ?? models[0].path, bytes: models[0].bytes };
  const names = entries.map((e) => e.path).slice(0, 10);
  throw refuse(
    models.length === 0
      ? `the ${what} holds no .h5, .hdf5 or .keras file (found: ${names.join(', ') || 'nothing'})`
      : `the ${what} holds ${models.length} model files (${models.map((m) => m.path).join(', ')}); upload one`,
  );
}

async function untar(bytes: Uint8Array): Promise<{ path: string; bytes: Uint8Array }[]> {
  const entries: { path: string; bytes: Uint8Array }[] = [];
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(Buffer.from(c as Uint8Array)));
      stream.on('end', () => {
        if (header.type === 'file')
          entries.push({ path: header.name.replace(/^\.\//, ''), bytes: Buffer.concat(chunks) });
        next();
      });
      stream.on('error', reject);
    });
    tar.on('finish', resolve);
    tar.on('error', (e: Error) => reject(refuse(`the tar archive cannot be read: ${e.message}`)));
  });
  Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]).pipe(tar);
  await done;
  return entries;
}

/**
 * The model file inside what a WML client uploads as model content: a tar.gz (what `store_model` sends for
 * Keras), a tar or a zip holding one `.h5`/`.hdf5`/`.keras` file, or the bare file (an HDF5 file, or a `.keras`
 * zip, recognised by its `config.json`).
 */
export async function modelFromContent(input: Uint8Array): Promise<{ name: string; bytes: Uint8Array }> {
  if (input.length === 0) throw refuse('the model content is empty');
  let bytes = input;
  let gz = false;
  if (startsWith(bytes, [0x1f, 0x8b])) {
    try {
      bytes = gunzipSync(bytes);
      gz = true;
    } catch {
      throw refuse('the model content is gzip but cannot be decompressed');
    }
  }
  if (startsWith(bytes, HDF5)) return { name: 'model.h5', bytes };
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(bytes);
    } catch {
      throw refuse('the model content is a zip but cannot be read');
    }
    if ('config.json' in files && Object.keys(files).some((f) => f.startsWith('model.weights')))
      return { name: 'model.keras', bytes };
    return pickOne(
      Object.entries(files).map(([path, b]) => ({ path, bytes: b })),
      'zip',
    );
  }
  if (bytes.length >= 262 && Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar')
    return pickOne(await untar(bytes), gz ? 'tar.gz' : 'tar');
  throw refuse('the model content is not a tar.gz, tar or zip of a .h5/.keras file, nor such a file');
}
