/**
 * `loadModel`: read any Keras model file (HDF5 from Keras 1/2/tf.keras/Keras 3, `.keras` zips,
 * weights-only files with an architecture JSON) into a {@link ModelDescription}.
 */
import { open, readFile } from 'node:fs/promises';
import { type UnzipFileInfo, unzipSync } from 'fflate';
import { KerasBatchError } from '../util/errors.js';
import { checkLimit, currentLimits, LimitError, type Limits } from '../util/limits.js';
import { assignKeras3Assets, isVocabularyAsset } from './assets-keras3.js';
import { KerasErrorCode, loadError } from './errors.js';
import { flattenModel } from './flatten.js';
import { parseModelConfig } from './graph.js';
import {
  childGroup,
  type H5Group,
  type Hdf5Handle,
  hasAttr,
  openHdf5,
  stringAttr,
  stringListAttr,
} from './hdf5.js';
import { isObject, parsePythonJson } from './json.js';
import { convertKeras1Weights } from './keras1-weights.js';
import type { ModelDescription, ModelFormat } from './model.js';
import type { RawModel } from './raw-model.js';
import { assignByLayer } from './weights-assign.js';
import { checkLayerWeights } from './weights-check.js';
import { readLegacyWeights } from './weights-h5.js';
import { assignKeras3, layerContainer } from './weights-keras3.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * The architecture for a weights-only file: `model.to_json()` text, a path to that JSON file, its bytes,
   * or the parsed object. Ignored when the model file carries its own config.
   */
  architecture?: string | Uint8Array | object;
  /** The model's name in the description (default: the name in the config). */
  name?: string;
  /** Budgets checked before the work (default: the process's, {@link currentLimits}). */
  limits?: Limits;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
/** Members at least this large must respect the `zipRatio` limit. */
const RATIO_FLOOR = 1024 ** 2;

const starts = (bytes: Uint8Array, sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);

async function header(source: string | Uint8Array): Promise<Uint8Array> {
  if (typeof source !== 'string') return source.subarray(0, 8);
  try {
    const fh = await open(source, 'r');
    try {
      const buf = new Uint8Array(8);
      const { bytesRead } = await fh.read(buf, 0, 8, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (error) {
    throw loadError(KerasErrorCode.Io, `cannot read '${source}': ${(error as Error).message}`, error);
  }
}

async function architectureJson(arch: string | Uint8Array | object, limits: Limits): Promise<unknown> {
  const what = 'the architecture JSON';
  if (arch instanceof Uint8Array) {
    checkLimit(limits, 'configBytes', arch.byteLength, 'keras', `${what}'s size`);
    return parsePythonJson(new TextDecoder().decode(arch), what, limits);
  }
  if (typeof arch === 'object') return arch;
  if (arch.trimStart().startsWith('{')) return parsePythonJson(arch, what, limits);
  let text: string;
  try {
    text = await readFile(arch, 'utf8');
  } catch (error) {
    throw loadError(
      KerasErrorCode.Io,
      `cannot read architecture '${arch}': ${(error as Error).message}`,
      error,
    );
  }
  return parsePythonJson(text, `architecture '${arch}'`, limits);
}

function majorOf(version: string | null): 1 | 2 | 3 {
  if (version === null) return 1;
  const m = /^(\d+)/.exec(version);
  const n = m ? Number(m[1]) : 2;
  return n <= 1 ? 1 : n >= 3 ? 3 : 2;
}

function h5Format(version: string | null, major: 1 | 2 | 3): ModelFormat {
  if (major === 1) return 'keras1-h5';
  if (major === 3) return 'keras3-h5';
  const minor = Number(/^\d+\.(\d+)/.exec(version ?? '')?.[1] ?? 0);
  return version?.includes('-tf') || minor >= 4 ? 'tf-keras-h5' : 'keras2-h5';
}

interface Parsed {
  raw: RawModel;
  modelClass: string;
}

/** Layers of a parsed model, nested models' layers included. */
function layerCount(model: RawModel): number {
  let n = 0;
  for (const l of model.layers) n += 1 + (l.model ? layerCount(l.model) : 0);
  return n;
}

function parse(config: unknown, major: 1 | 2 | 3, what: string, limits: Limits): Parsed {
  const entry = typeof config === 'string' ? parsePythonJson(config, what, limits) : config;
  if (!isObject(entry)) throw loadError(KerasErrorCode.BadConfig, `${what} is not a JSON object`);
  const raw = parseModelConfig(entry, { keras1: major === 1, keras3: major === 3, depth: 0 });
  checkLimit(limits, 'layers', layerCount(raw), 'keras', `${what}'s layer count`);
  return { raw, modelClass: String(entry.class_name) };
}

function convertKeras1(model: RawModel, backend: string | null): void {
  for (const l of model.layers) {
    if (l.model) convertKeras1(l.model, backend);
    else l.weights = convertKeras1Weights(l.className, l.config, l.weights, backend);
  }
}

interface Loaded {
  parsed: Parsed;
  format: ModelFormat;
  kerasVersion: string | null;
  major: 1 | 2 | 3;
  backend: string | null;
}

const WEIGHTS_ONLY_MESSAGE = 'weights-only file: an architecture JSON is needed (--architecture)';

async function loadHdf5(
  source: string | Uint8Array,
  label: string,
  options: LoadModelOptions,
  limits: Limits,
): Promise<Loaded> {
  const handle: Hdf5Handle = await openHdf5(source, label, limits);
  try {
    const root = handle.root;
    const modelConfig = stringAttr(root, 'model_config');
    if (modelConfig !== null) {
      const weightsGroup = childGroup(root, 'model_weights');
      const version =
        stringAttr(root, 'keras_version') ??
        (weightsGroup ? stringAttr(weightsGroup, 'keras_version') : null);
      const backend =
        stringAttr(root, 'backend') ?? (weightsGroup ? stringAttr(weightsGroup, 'backend') : null);
      const major = majorOf(version);
      const parsed = parse(modelConfig, major, 'model_config', limits);
      if (weightsGroup && hasAttr(weightsGroup, 'layer_names'))
        assignByLayer(parsed.raw, readLegacyWeights(weightsGroup));
      else assignByLayer(parsed.raw, { names: [], weights: new Map() });
      if (major === 1) convertKeras1(parsed.raw, backend);
      return { parsed, format: h5Format(version, major), kerasVersion: version, major, backend };
    }
    const legacy = stringListAttr(root, 'layer_names') !== null;
    const store: H5Group | null = legacy ? null : layerContainer(root);
    if (!legacy && !store) {
      throw loadError(
        KerasErrorCode.NotKerasHdf5,
        `${label}: an HDF5 file without model_config or layer_names is not a Keras model`,
      );
    }
    if (options.architecture === undefined) throw loadError(KerasErrorCode.WeightsOnly, WEIGHTS_ONLY_MESSAGE);
    const arch = await architectureJson(options.architecture, limits);
    const archVersion = isObject(arch) && typeof arch.keras_version === 'string' ? arch.keras_version : null;
    const version = stringAttr(root, 'keras_version') ?? archVersion;
    const backend =
      stringAttr(root, 'backend') ??
      (isObject(arch) && typeof arch.backend === 'string' ? arch.backend : null);
    const major = store ? 3 : majorOf(version);
    const parsed = parse(arch, major, 'the architecture JSON', limits);
    if (store) assignKeras3(parsed.raw, store, store.path.split('/').pop() ?? 'layers');
    else {
      assignByLayer(parsed.raw, readLegacyWeights(root));
      if (major === 1) convertKeras1(parsed.raw, backend);
    }
    return { parsed, format: 'weights-h5+json', kerasVersion: version, major, backend };
  } finally {
    handle.close();
  }
}

/**
 * Whether a zip member is read, refusing (before anything is inflated) too many members, and a member too
 * large or too compressed. The sizes are the zip's own: fflate inflates into a buffer of the declared size,
 * so a member cannot expand past what it declares.
 */
function zipFilter(label: string, limits: Limits): (f: UnzipFileInfo) => boolean {
  let members = 0;
  return (f) => {
    members += 1;
    checkLimit(limits, 'zipMembers', members, 'keras', `${label}: the zip's member count`);
    if (!['config.json', 'metadata.json', 'model.weights.h5'].includes(f.name) && !isVocabularyAsset(f.name))
      return false;
    const what = `${label}: zip member ${f.name}`;
    if (f.name.endsWith('.json'))
      checkLimit(limits, 'configBytes', f.originalSize, 'keras', `${what} (uncompressed)`);
    checkLimit(limits, 'zipMemberBytes', f.originalSize, 'keras', `${what} (uncompressed)`);
    if (f.originalSize >= RATIO_FLOOR) {
      const ratio = Math.ceil(f.originalSize / Math.max(1, f.size));
      checkLimit(limits, 'zipRatio', ratio, 'keras', `${what}'s compression ratio`);
    }
    return true;
  };
}

async function loadZip(bytes: Uint8Array, label: string, limits: Limits): Promise<Loaded> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: zipFilter(label, limits) });
  } catch (error) {
    if (error instanceof LimitError) throw error;
    throw loadError(KerasErrorCode.NotKerasZip, `${label}: the zip archive is corrupt or truncated`, error);
  }
  const configBytes = files['config.json'];
  if (!configBytes) {
    throw loadError(KerasErrorCode.NotKerasZip, `${label}: a zip without config.json is not a .keras model`);
  }
  const decoder = new TextDecoder();
  const meta = files['metadata.json']
    ? parsePythonJson(decoder.decode(files['metadata.json']), 'metadata.json', limits)
    : {};
  const version = isObject(meta) && typeof meta.keras_version === 'string' ? meta.keras_version : null;
  const major = version === null ? 3 : majorOf(version);
  const parsed = parse(decoder.decode(configBytes), major, 'config.json', limits);
  const weights = files['model.weights.h5'];
  if (weights) {
    const handle = await openHdf5(weights, `${label}: model.weights.h5`, limits);
    try {
      const container = layerContainer(handle.root);
      if (container) assignKeras3(parsed.raw, container, container.path.split('/').pop() ?? 'layers');
      else assignKeras3(parsed.raw, handle.root, '');
    } finally {
      handle.close();
    }
  } else {
    assignByLayer(parsed.raw, { names: [], weights: new Map() });
  }
  assignKeras3Assets(parsed.raw, files);
  return { parsed, format: 'keras3-zip', kerasVersion: version, major, backend: null };
}

async function loadInner(source: string | Uint8Array, options: LoadModelOptions): Promise<ModelDescription> {
  const label = typeof source === 'string' ? `'${source}'` : 'model bytes';
  const limits = options.limits ?? currentLimits();
  const head = await header(source);
  let loaded: Loaded;
  if (starts(head, HDF5_SIGNATURE)) {
    loaded = await loadHdf5(source, label, options, limits);
  } else if (starts(head, ZIP_SIGNATURE)) {
    let bytes: Uint8Array;
    try {
      bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
    } catch (error) {
      throw loadError(KerasErrorCode.Io, `cannot read ${label}`, error);
    }
    loaded = await loadZip(bytes, label, limits);
  } else {
    throw loadError(
      KerasErrorCode.UnknownFormat,
      `${label} is neither HDF5 (.h5) nor a zip (.keras); an architecture JSON goes in --architecture`,
    );
  }
  const graph = flattenModel(loaded.parsed.raw, loaded.major < 3);
  for (const layer of graph.layers) checkLayerWeights(layer);
  return {
    name: options.name ?? loaded.parsed.raw.name,
    format: loaded.format,
    kerasVersion: loaded.kerasVersion ?? 'unknown',
    kerasMajor: loaded.major,
    backend: loaded.backend,
    modelClass: loaded.parsed.modelClass,
    layers: graph.layers,
    inputs: graph.inputs,
    outputs: graph.outputs,
  };
}

/**
 * Load a Keras model from a path or bytes: HDF5 (detected by `\x89HDF\r\n\x1a\n`) or a `.keras` zip
 * (`PK\x03\x04`). Weights-only HDF5 files need `options.architecture`. Lambda layers and custom classes
 * are refused. Every failure is a {@link ModelLoadError} with a stable code from {@link KerasErrorCode}.
 */
export async function loadModel(
  source: string | Uint8Array,
  options: LoadModelOptions = {},
): Promise<ModelDescription> {
  try {
    return await loadInner(source, options);
  } catch (error) {
    if (error instanceof KerasBatchError) throw error;
    throw loadError(
      KerasErrorCode.Unreadable,
      `the model cannot be read: ${(error as Error)?.message ?? String(error)}`,
      error,
    );
  }
}
