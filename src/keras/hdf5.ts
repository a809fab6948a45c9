/**
 * A thin, defensive layer over h5wasm: open an HDF5 file from a path or bytes, read string attributes
 * (fixed or variable length, bytes or str, split `name0`, `name1`… attributes) and float datasets with
 * checked shapes. Every failure becomes a typed {@link ModelLoadError}.
 *
 * A model file is data only. HDF5 lets a dataset take its bytes from other files (external storage, virtual
 * datasets, external links), which would turn host files into weights. So the C library runs on h5wasm's
 * in-memory file system holding nothing but the one file (it cannot reach the host's), and every dataset is
 * checked at open, before any weight is read: links to other files and virtual datasets by their metadata, and
 * external storage by a one-element probe read, which the library can only satisfy from an external file list.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isTypedArray } from 'node:util/types';
import h5wasm, { ExternalLink } from 'h5wasm';
import { checkLimit, formatBytes, type Limits } from '../util/limits.js';
import { KerasErrorCode, loadError } from './errors.js';

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** Largest number of elements one weight may have (2^31 - 1). */
export const MAX_WEIGHT_ELEMENTS = 2 ** 31 - 1;

/** HDF5 errors thrown as exceptions carrying the library's error stack, instead of printed to stderr. */
const library = h5wasm.ready.then((module) => {
  module.activate_throwing_error_handler();
  return module;
});

/**
 * Children's names of the groups of open files, by `file_id:path`: a model with thousands of layers looks up
 * thousands of names in one group, and listing the group for each lookup is quadratic. Dropped at close (HDF5
 * reuses file ids).
 */
const childCache = new Map<string, { list: string[]; set: Set<string> }>();

function children(group: H5Group): { list: string[]; set: Set<string> } {
  const key = `${group.file_id}:${group.path}`;
  let entry = childCache.get(key);
  if (!entry) {
    const list = group.keys();
    entry = { list, set: new Set(list) };
    childCache.set(key, entry);
  }
  return entry;
}

function forgetChildren(file: H5File): void {
  const prefix = `${file.file_id}:`;
  for (const key of childCache.keys()) if (key.startsWith(prefix)) childCache.delete(key);
}

/** An open HDF5 file; call `close()` when done (also frees its in-memory copy). */
export interface Hdf5Handle {
  root: H5Group;
  close(): void;
}

/**
 * Open HDF5 from a path on disk or from bytes; refuses any dataset whose data is not inside the file and,
 * with `limits`, a file whose datasets declare more than `weightBytes` of float32 weights (optimizer state
 * aside) — before any of them is read.
 */
export async function openHdf5(
  source: string | Uint8Array,
  label: string,
  limits?: Limits,
): Promise<Hdf5Handle> {
  const module = await library;
  const bytes = typeof source === 'string' ? await readFile(source) : source;
  const path = `/keras-batch-${randomUUID()}.h5`;
  // The in-memory file takes the bytes as they are (`canOwn`): no copy of the model; nothing writes to it.
  const stream = module.FS.open(path, 'w');
  module.FS.write(stream, bytes, 0, bytes.byteLength, 0, true);
  module.FS.close(stream);
  const cleanup = (): void => module.FS.unlink(path);
  let file: H5File;
  try {
    file = new h5wasm.File(path, 'r');
    if (!file.file_id || file.file_id < 0n) throw new Error('H5Fopen failed');
    file.keys();
  } catch (error) {
    cleanup();
    throw loadError(
      KerasErrorCode.CorruptHdf5,
      `${label}: the HDF5 file cannot be opened (truncated or corrupt)`,
      error,
    );
  }
  const close = (): void => {
    forgetChildren(file);
    try {
      file.close();
    } finally {
      cleanup();
    }
  };
  try {
    const elements = checkDataInside(file, label);
    if (limits) {
      checkLimit(
        limits,
        'weightBytes',
        elements * 4,
        'keras',
        `${label}: its weights (${elements} elements as float32)`,
      );
      if (elements * 4 > RATIO_FLOOR)
        checkLimit(
          limits,
          'weightFileRatio',
          Math.floor((elements * 4) / Math.max(1, bytes.byteLength)),
          'keras',
          `${label}: its weights (${elements} elements, ${formatBytes(elements * 4)} as float32) ÷ the file's ${formatBytes(bytes.byteLength)}`,
        );
    }
  } catch (error) {
    close();
    throw error;
  }
  return { root: file, close };
}

/** Declared weights below this are never compared with the file's size (tiny models, float16 files). */
const RATIO_FLOOR = 64 * 1024 ** 2;

const outside = (label: string, path: string, how: string) =>
  loadError(
    KerasErrorCode.BadWeight,
    `${label}: dataset ${path} is not stored inside the model file (${how}); only data inside the file is read`,
  );

/** Groups whose datasets are optimizer state, never read as weights. */
const OPTIMIZER_GROUPS = new Set(['/optimizer_weights', '/optimizer']);

/**
 * Every object below `group`, refusing links into other files, virtual datasets and external storage;
 * returns the elements the datasets declare (optimizer state not counted).
 */
function checkDataInside(group: H5Group, label: string): number {
  let elements = 0;
  for (const name of childNames(group)) {
    const path = `${group.path === '/' ? '' : group.path}/${name}`;
    let child: unknown;
    try {
      child = group.get(name);
    } catch (error) {
      throw loadError(KerasErrorCode.CorruptHdf5, `${label}: ${path} cannot be read`, error);
    }
    if (child instanceof ExternalLink) {
      throw outside(label, path, `an external link to ${child.filename}:${child.obj_path}`);
    }
    if (isGroup(child)) {
      const inside = checkDataInside(child, label);
      if (!OPTIMIZER_GROUPS.has(path)) elements += inside;
    } else if (isDataset(child)) elements += checkDatasetInside(child, path, label);
  }
  return elements;
}

function checkDatasetInside(dataset: H5Dataset, path: string, label: string): number {
  const meta = dataset.metadata;
  const sources = meta.virtual_sources ?? [];
  if (sources.length > 0) {
    const from = sources.map((v) => `${v.file_name}:${v.dset_name}`).join(', ');
    throw outside(label, path, `a virtual dataset over ${from}`);
  }
  const shape = meta.shape ?? [];
  if (shape.length === 0) return 1;
  if (shape.some((d) => d === 0)) return 0;
  try {
    dataset.slice(shape.map(() => [0, 1]));
  } catch (error) {
    if (/efl/i.test(String(error))) throw outside(label, path, 'HDF5 external storage');
    throw loadError(KerasErrorCode.CorruptHdf5, `${label}: dataset ${path} cannot be read`, error);
  }
  return shape.reduce((a, b) => a * Number(b), 1);
}

/** Whether `value` is an h5wasm group. */
export function isGroup(value: unknown): value is H5Group {
  return value instanceof h5wasm.Group;
}

/** Whether `value` is an h5wasm dataset. */
export function isDataset(value: unknown): value is H5Dataset {
  return value instanceof h5wasm.Dataset;
}

/** A child group, or null when absent or not a group. Never throws. */
export function childGroup(group: H5Group, name: string): H5Group | null {
  try {
    if (!children(group).set.has(name)) return null;
    const child = group.get(name);
    return isGroup(child) ? child : null;
  } catch {
    return null;
  }
}

/**
 * The group at a `/`-separated path below a group, or null when absent or not a group. Never throws.
 * Keras 2/tf.keras write each layer's weights with `f.create_group(layer.name)`, and h5py reads a `/` in a
 * name as a path: a layer named `conv1/conv` (every tf.keras DenseNet) is the group `conv1` → `conv`.
 */
export function groupAt(group: H5Group, path: string): H5Group | null {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) return null;
  let node: H5Group = group;
  for (const part of parts) {
    const child = childGroup(node, part);
    if (!child) return null;
    node = child;
  }
  return node;
}

function hasChild(group: H5Group, name: string): boolean {
  try {
    return children(group).set.has(name);
  } catch {
    return false;
  }
}

/** Names of the children of a group, or [] when unreadable. */
export function childNames(group: H5Group): string[] {
  try {
    return [...children(group).list];
  } catch {
    return [];
  }
}

function decode(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return String(value);
}

/** Whether an attribute exists on the object. */
export function hasAttr(obj: H5Group | H5Dataset, name: string): boolean {
  try {
    return Object.hasOwn(obj.attrs, name);
  } catch {
    return false;
  }
}

/** A scalar string attribute (bytes or str), or null when absent. */
export function stringAttr(obj: H5Group | H5Dataset, name: string): string | null {
  if (!hasAttr(obj, name)) return null;
  try {
    const value = obj.attrs[name].value;
    if (Array.isArray(value)) return value.length === 0 ? '' : decode(value[0]);
    return value === null ? null : decode(value);
  } catch (error) {
    throw loadError(KerasErrorCode.CorruptHdf5, `attribute '${name}' cannot be read`, error);
  }
}

function listFromAttr(obj: H5Group | H5Dataset, name: string): string[] {
  const value = obj.attrs[name].value;
  if (value === null || value === undefined) return [];
  if (typeof value === 'string' || value instanceof Uint8Array) return [decode(value)];
  if (Array.isArray(value)) return value.map(decode);
  // an empty numeric array (Keras writes `np.array([])` for layers without weights)
  return [];
}

/**
 * A list-of-strings attribute such as `layer_names` or `weight_names`; attributes over 64 KB are split by
 * Keras into `name0`, `name1`, … and are joined back here. Null when absent.
 */
export function stringListAttr(obj: H5Group | H5Dataset, name: string): string[] | null {
  try {
    if (hasAttr(obj, name)) return listFromAttr(obj, name);
    if (!hasAttr(obj, `${name}0`)) return null;
    const out: string[] = [];
    for (let i = 0; hasAttr(obj, `${name}${i}`); i++) out.push(...listFromAttr(obj, `${name}${i}`));
    return out;
  } catch (error) {
    throw loadError(KerasErrorCode.CorruptHdf5, `attribute '${name}' cannot be read`, error);
  }
}

/** Check a weight shape: non-negative integers whose product fits in 2^31 - 1 elements. */
export function checkShape(shape: readonly unknown[], what: string): number[] {
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw loadError(KerasErrorCode.BadShape, `${what}: invalid dimension ${String(d)} in shape [${shape}]`);
    }
    size *= d;
  }
  if (size > MAX_WEIGHT_ELEMENTS) {
    throw loadError(
      KerasErrorCode.BadShape,
      `${what}: shape [${shape}] has ${size} elements, more than 2^31 - 1`,
    );
  }
  return shape as number[];
}

/** Read a dataset as row-major float32 with its shape; integer and float64 data are converted. */
export function readFloatDataset(dataset: H5Dataset, what: string): { shape: number[]; data: Float32Array } {
  let shape: number[];
  let value: unknown;
  try {
    shape = checkShape(dataset.shape ?? [], what);
    const meta = dataset.metadata;
    // type 0 integer, 1 float (h5wasm metadata); anything else is not a weight
    if (meta.type !== 0 && meta.type !== 1) {
      throw loadError(KerasErrorCode.BadWeight, `${what}: dataset of non-numeric type cannot be a weight`);
    }
    value = dataset.value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ModelLoadError') throw error;
    throw loadError(KerasErrorCode.BadWeight, `${what}: the dataset cannot be read`, error);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (value instanceof Float32Array) data = value;
  else if (isTypedArray(value)) {
    const arr: ArrayLike<number | bigint> = value;
    data = new Float32Array(arr.length);
    for (let i = 0; i < arr.length; i++) data[i] = Number(arr[i]);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    data = new Float32Array([Number(value)]);
  } else {
    throw loadError(KerasErrorCode.BadWeight, `${what}: the dataset is not a numeric array`);
  }
  if (data.length !== count) {
    throw loadError(
      KerasErrorCode.BadWeight,
      `${what}: ${data.length} values for shape [${shape}] (${count} expected)`,
    );
  }
  return { shape, data };
}

/** Resolve a `/`-separated path below a group to a dataset, or null when it is missing. */
export function datasetAt(group: H5Group, path: string): H5Dataset | null {
  const parts = path.split('/').filter((p) => p.length > 0);
  let node: H5Group = group;
  for (let i = 0; i < parts.length; i++) {
    if (!hasChild(node, parts[i])) return null;
    let child: unknown;
    try {
      child = node.get(parts[i]);
    } catch {
      return null;
    }
    if (i === parts.length - 1) return isDataset(child) ? child : null;
    if (!isGroup(child)) return null;
    node = child;
  }
  return null;
}

export type { H5Dataset, H5Group };
