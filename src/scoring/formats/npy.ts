import { InputError } from '../../util/errors.js';

/**
 * NumPy's `.npy` format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), read and
 * written here rather than with `npyjs`, which reads neither big-endian arrays nor `bool`: a magic string, a
 * version, a Python-literal header `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then the data.
 */

/** One array as read: every element as float32, in C order. */
export interface NpyArray {
  shape: number[];
  /** The element type as stored (`<f4`, `>i2`, `|b1`, ...). */
  descr: string;
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Element types read, by kind and size (the byte order comes first: `<` little, `>` big, `|` or `=` none). */
const KINDS: Record<string, (view: DataView, at: number, little: boolean) => number> = {
  f4: (v, at, le) => v.getFloat32(at, le),
  f8: (v, at, le) => v.getFloat64(at, le),
  i1: (v, at) => v.getInt8(at),
  u1: (v, at) => v.getUint8(at),
  b1: (v, at) => (v.getUint8(at) === 0 ? 0 : 1),
  i2: (v, at, le) => v.getInt16(at, le),
  u2: (v, at, le) => v.getUint16(at, le),
  i4: (v, at, le) => v.getInt32(at, le),
  u4: (v, at, le) => v.getUint32(at, le),
  i8: (v, at, le) => Number(v.getBigInt64(at, le)),
  u8: (v, at, le) => Number(v.getBigUint64(at, le)),
};

/** The dtypes `.npy` inputs may hold, as NumPy names them. */
export const NPY_DTYPES = 'float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool';

/** A `.npy` file's header as read: the array's shape and element type, and where its data starts. */
export interface NpyHeader {
  shape: number[];
  /** The element type as stored (`<f4`, `>i2`, `|b1`, ...). */
  descr: string;
  /** Bytes of the magic, version and header: the data starts here. */
  dataOffset: number;
  /** Bytes an element takes. */
  itemSize: number;
  /** Elements in the array (the product of `shape`). */
  count: number;
  little: boolean;
  read: (view: DataView, at: number, little: boolean) => number;
}

const invalid = (name: string, message: string) => new InputError('INPUT_NPY_INVALID', `${name}: ${message}`);

/**
 * Reads a `.npy` file's header from its first bytes; null while more bytes are needed to hold the whole header.
 * `name` names the file in errors (`x.npy`, or `x.npz: array "a"`).
 */
export function parseNpyHeader(bytes: Uint8Array, name: string, complete: boolean): NpyHeader | null {
  const bad = (message: string) => invalid(name, message);
  if (bytes.length < 12 && !complete) return null;
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw bad('not a .npy file (no \\x93NUMPY magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`.npy format version ${major} is not known (1, 2 or 3 are)`);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw bad('the file ends inside its header (truncated)');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + headerLength > bytes.length) {
    if (!complete && headerLength <= 1 << 20) return null;
    throw bad('the file ends inside its header (truncated)');
  }
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString('latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(
      `its header is not a plain array's (structured dtypes are not read): ${header.trim().slice(0, 120)}`,
    );
  }
  if (fortran === 'True') {
    throw bad('the array is in Fortran order; save it in C order (numpy.ascontiguousarray) to score it');
  }
  const order = descr[0];
  const kind = descr.slice(1);
  const read = KINDS[kind];
  if (!read || !'<>|='.includes(order)) {
    throw new InputError(
      'INPUT_NPY_DTYPE',
      `${name}: dtype ${JSON.stringify(descr)} is not read; the arrays scored hold ${NPY_DTYPES}`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw bad(`its shape (${shapeText}) is not valid`);
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    shape,
    descr,
    dataOffset: start + headerLength,
    itemSize: Number(kind[1]),
    count,
    little: order !== '>',
    read,
  };
}

/** The message of a `.npy` whose data ends before its header's shape is filled. */
export function npyTruncated(name: string, h: NpyHeader, have: number): InputError {
  return invalid(
    name,
    `its header declares shape (${h.shape.join(', ')}) of ${h.descr}: ${h.count * h.itemSize} bytes, but ${have} follow (truncated)`,
  );
}

/** `bytes` (whole elements of the array `h`) as float32. */
export function decodeNpyData(bytes: Uint8Array, h: NpyHeader): Float32Array {
  const count = bytes.length / h.itemSize;
  if (h.descr.slice(1) === 'f4' && h.little) {
    const copy = new Uint8Array(bytes.length); // aligned, and not a view of a larger buffer
    copy.set(bytes);
    return new Float32Array(copy.buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(count);
  for (let i = 0, at = 0; i < count; i += 1, at += h.itemSize) data[i] = h.read(view, at, h.little);
  return data;
}

/** Reads one whole `.npy` file; `name` names it in errors (`x.npy`, or `x.npz: array "a"`). */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const h = parseNpyHeader(bytes, name, true) as NpyHeader;
  const need = h.count * h.itemSize;
  const have = bytes.length - h.dataOffset;
  if (have < need) throw npyTruncated(name, h, have);
  const data = decodeNpyData(bytes.subarray(h.dataOffset, h.dataOffset + need), h);
  return { shape: h.shape, descr: h.descr, data };
}

/** Writes one `.npy` file (version 1.0, C order) of float32 (`<f4`) or int32 (`<i4`) elements. */
export function encodeNpy(data: Float32Array | Int32Array, shape: number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const total = 10 + header.length + 1;
  header += `${' '.repeat((64 - (total % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
