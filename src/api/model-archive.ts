import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { Unzip, type UnzipFile, UnzipInflate, unzipSync } from 'fflate';
import { extract, pack } from 'tar-stream';
import { errorMessage } from '../util/errors.js';
import { ApiError } from './errors.js';
import type { TempFiles, UploadSpace } from './uploads.js';

const MODEL_FILE = /\.(h5|hdf5|keras)$/i;
const HDF5 = [0x89, 0x48, 0x44, 0x46];
const startsWith = (bytes: Uint8Array, sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
const refuse = (message: string) => new ApiError(422, 'MODEL_ARCHIVE_INVALID', message);
/** Folders and files an archiver adds that are not the model (macOS resource forks, hidden files). */
const skipped = (path: string) => path.split('/').some((p) => p.startsWith('.') && p !== '.' && p !== '..');

/** The one model file of an archive's entries, or a 422 naming what was found. */
function pickOne(entries: { path: string; bytes: Uint8Array }[], what: string) {
  const name = pickName(
    entries.map((e) => e.path),
    what,
  );
  const one = entries.find((e) => e.path === name) as { path: string; bytes: Uint8Array };
  return { name: name.split('/').pop() ?? name, bytes: one.bytes };
}

/** The one model file among an archive's entry names, or a 422 naming what was found. */
function pickName(paths: string[], what: string): string {
  const models = paths.filter((p) => MODEL_FILE.test(p) && !skipped(p));
  if (models.length === 1) return models[0];
  const names = paths.slice(0, 10);
  throw refuse(
    models.length === 0
      ? `the ${what} holds no .h5, .hdf5 or .keras file (found: ${names.join(', ') || 'nothing'})`
      : `the ${what} holds ${models.length} model files (${models.join(', ')}); upload one`,
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

/** A tar.gz holding one file: how WML handed a stored model back (`GET /v3/ml_assets/models/{id}/content`). */
export async function tarGzOf(name: string, bytes: Uint8Array): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c) => chunks.push(Buffer.from(c as Uint8Array)));
  const ended = new Promise<void>((resolve, reject) => {
    tar.on('end', () => resolve());
    tar.on('error', reject);
  });
  tar.entry(
    { name, size: bytes.byteLength, mode: 0o644 },
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  );
  tar.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** The first `n` bytes of a file. */
async function headOf(path: string, n = 512): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(n);
    const { bytesRead } = await handle.read(buffer, 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Streams a zip file through fflate's streaming reader, calling `onFile` for each entry. */
async function streamZip(path: string, onFile: (file: UnzipFile) => void, out?: Writable): Promise<void> {
  const unzip = new Unzip(onFile);
  unzip.register(UnzipInflate);
  for await (const chunk of createReadStream(path)) {
    unzip.push(chunk as Uint8Array);
    if (out?.writableNeedDrain) await once(out, 'drain');
  }
  unzip.push(new Uint8Array(0), true);
}

type Where = { space: UploadSpace; temp: TempFiles };

/** The one model entry of a zip file, extracted to a temp file (never held whole). */
async function modelFromZipFile(path: string, where: Where): Promise<{ name: string; path: string }> {
  const names: string[] = [];
  try {
    await streamZip(path, (f) => names.push(f.name));
  } catch {
    throw refuse('the model content is a zip but cannot be read');
  }
  if (names.includes('config.json') && names.some((n) => n.startsWith('model.weights')))
    return { name: 'model.keras', path };
  const wanted = pickName(names, 'zip');
  const out = where.temp.next();
  const ws = createWriteStream(out);
  let size = 0;
  let failure: unknown = null;
  try {
    await streamZip(
      path,
      (f) => {
        if (f.name !== wanted) return;
        f.ondata = (error, chunk) => {
          size += chunk?.length ?? 0;
          if (error) failure ??= error;
          else if (size > where.space.maxBytes) failure ??= where.space.tooLarge('the model in the zip');
          else if (!failure) ws.write(chunk);
        };
        f.start();
      },
      ws,
    );
  } catch (error) {
    failure ??= error;
  }
  ws.end();
  await finished(ws);
  if (failure instanceof ApiError) throw failure;
  if (failure) throw refuse('the model content is a zip but cannot be read');
  return { name: wanted.split('/').pop() ?? wanted, path: out };
}

/** The one model entry of a tar file, extracted to a temp file as it streams by. */
async function modelFromTarFile(
  path: string,
  where: Where,
  what: string,
): Promise<{ name: string; path: string }> {
  const names: string[] = [];
  const models: { name: string; path: string }[] = [];
  const tar = extract();
  tar.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    if (header.type === 'file') names.push(name);
    if (header.type !== 'file' || !MODEL_FILE.test(name) || skipped(name)) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    where.space.toFile(stream as AsyncIterable<Uint8Array>, where.temp, `the model in the ${what}`).then(
      (f) => {
        models.push({ name, path: f.path });
        next();
      },
      (error) => tar.destroy(error),
    );
  });
  try {
    await pipeline(createReadStream(path), tar);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw refuse(`the tar archive cannot be read: ${errorMessage(error)}`);
  }
  const wanted = pickName(names, what);
  const model = models.find((m) => m.name === wanted) as { name: string; path: string };
  return { name: wanted.split('/').pop() ?? wanted, path: model.path };
}

/**
 * {@link modelFromContent} for content streamed to a file: a gzip is decompressed to another temp file (at most
 * `--max-upload` bytes), a zip or tar's model entry extracted to one; a bare `.h5` or `.keras` is the file
 * itself. Nothing is held whole in memory.
 */
export async function modelFromContentFile(
  path: string,
  where: Where,
): Promise<{ name: string; path: string }> {
  let file = path;
  let head = await headOf(file);
  if (head.length === 0) throw refuse('the model content is empty');
  let gz = false;
  if (startsWith(head, [0x1f, 0x8b])) {
    try {
      const raw = createReadStream(path);
      const gunzip = raw.pipe(createGunzip());
      raw.on('error', (e) => gunzip.destroy(e));
      file = (await where.space.toFile(gunzip, where.temp, 'the decompressed model content')).path;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw refuse('the model content is gzip but cannot be decompressed');
    }
    head = await headOf(file);
    gz = true;
  }
  if (startsWith(head, HDF5)) return { name: 'model.h5', path: file };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return modelFromZipFile(file, where);
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar')
    return modelFromTarFile(file, where, gz ? 'tar.gz' : 'tar');
  throw refuse('the model content is not a tar.gz, tar or zip of a .h5/.keras file, nor such a file');
}
