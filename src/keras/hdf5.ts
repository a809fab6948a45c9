/**
 * A thin, defensive layer over h5wasm: open an HDF5 file from a path or bytes, read string attributes
 * (fixed or variable length, bytes or str, split `name0`, `name1`… attributes) and float datasets with
 * checked shapes. Every failure becomes a typed {@link ModelLoadError}.
 */
import { randomUUID } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTypedArray } from 'node:util/types';
import h5wasm from 'h5wasm/node';
import { KerasErrorCode, loadError } from './errors.js';

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** Largest number of elements one weight may have (2^31 - 1). */
export const MAX_WEIGHT_ELEMENTS = 2 ** 31 - 1;

/** An open HDF5 file; call `close()` when done (also removes any temporary copy). */
export interface Hdf5Handle {
  root: H5Group;
  close(): void;
}

/** Open HDF5 from a path on disk or from bytes (copied to a temporary file for the C library). */
export async function openHdf5(source: string | Uint8Array, label: string): Promise<Hdf5Handle> {
  await h5wasm.ready;
  let path: string;
  let temp: string | null = null;
  if (typeof source === 'string') {
    path = source;
  } else {
    temp = join(tmpdir(), `keras-batch-${process.pid}-${randomUUID()}.h5`);
    writeFileSync(temp, source);
    path = temp;
  }
  const cleanup = (): void => {
    if (temp !== null) {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  };
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
  return {
    root: file,
    close() {
      try {
        file.close();
      } finally {
        cleanup();
      }
    },
  };
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
    if (!group.keys().includes(name)) return null;
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

/** Names of the children of a group, or [] when unreadable. */
export function childNames(group: H5Group): string[] {
  try {
    return group.keys();
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
    if (!childNames(node).includes(parts[i])) return null;
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
