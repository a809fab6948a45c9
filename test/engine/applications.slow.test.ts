import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type InputTensor } from '../../src/engine/index.js';
import { loadModel } from '../../src/keras/index.js';
import { defaultLimits } from '../../src/util/limits.js';
import { expectClose, type GoldenTensor } from '../helpers/compare.js';
import { kerasPython } from '../helpers/python-keras.js';
import { repoRoot } from '../helpers/shared.js';

/**
 * Whole `keras.applications` models (random weights, BatchNormalization statistics from a calibration batch),
 * built by fixtures/make_applications.py into a temporary directory (or read from
 * KERAS_BATCH_APPLICATIONS_DIR when it holds a manifest.json), compared within 1e-4 of the largest output with
 * real Keras `predict` of the model that was saved (computed in the same Python run: one TensorFlow start-up
 * instead of one per file keeps the test near 3 minutes on 2 cores). KERAS_BATCH_APPLICATIONS_RELOAD=1 also has
 * Keras load every file back and compares with that (about twice as slow).
 */

/** The applications the script builds, and which Keras builds them (see APPLICATIONS in the script). */
const APPLICATIONS: [string, ('k3' | 'tf2')[]][] = [
  ['MobileNet', ['k3', 'tf2']],
  ['MobileNetV2', ['k3', 'tf2']],
  ['MobileNetV3Small', ['k3', 'tf2']],
  ['MobileNetV3Large', ['k3', 'tf2']],
  ['ResNet50', ['k3', 'tf2']],
  ['ResNet50V2', ['k3', 'tf2']],
  ['DenseNet121', ['k3', 'tf2']],
  ['InceptionV3', ['k3', 'tf2']],
  ['Xception', ['k3', 'tf2']],
  ['NASNetMobile', ['k3', 'tf2']],
  ['EfficientNetB0', ['k3', 'tf2']],
  ['EfficientNetV2B0', ['k3', 'tf2']],
  ['ConvNeXtTiny', ['k3', 'tf2']],
  ['VGG16', ['k3', 'tf2']],
  ['RegNetX002', ['tf2']],
  // Whole models around them (BUILDERS in the script): the TensorFlow transfer-learning tutorial's model
  // (augmentation, preprocess_input as ops / TFOpLambda, a nested MobileNetV2 called with training=False) and a
  // small text transformer on string records (TextVectorization, MultiHeadAttention, LayerNormalization).
  ['TransferMobileNetV2', ['k3', 'tf2']],
  ['TextTransformer', ['k3', 'tf2']],
  ['TextTransformerMasked', ['k3', 'tf2']], // Embedding(mask_zero=True): masks through attention and pooling
];
const FILES = APPLICATIONS.flatMap(([name, fws]) =>
  fws.flatMap((fw) => (fw === 'k3' ? [`${name}.keras`, `${name}.k3.h5`] : [`${name}.tf2.h5`])),
);

/**
 * Files the engine refuses today, each with what it lacks. Each must be refused with a clear error; once it
 * compiles, this test fails until it is removed from here (the list only shrinks).
 */
/** Files the engine refuses today, with why. */
const EXPECTED_UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  // Keras 3 writes an adapted TextVectorization to a legacy .h5 without its vocabulary (Keras itself fails to
  // load it back): refused, never scored with an empty vocabulary.
  ['TextTransformer.k3.h5', 'adapted vocabulary not in the file'],
  ['TextTransformerMasked.k3.h5', 'adapted vocabulary not in the file'],
]);

/** A refusal that says what is missing (never a crash or a wrong number). */
const CLEAR_REFUSAL = /not supported|no ONNX converter|cannot run|custom|refused|not understood|Lambda/i;

interface ManifestEntry {
  file: string;
  model: string;
  framework: string;
  /** Pixels, or string records (`{dims, strings}`, as in the goldens). */
  inputs: (GoldenTensor | { dims: number[]; strings: string[] })[];
  outputs?: GoldenTensor[];
  built_outputs: GoldenTensor[];
  keras?: string;
  save_error?: string;
  reload_error?: string;
}
interface Manifest {
  files: ManifestEntry[];
  errors: { model: string; framework: string; error: string }[];
}

const python = kerasPython();
const prebuilt = process.env.KERAS_BATCH_APPLICATIONS_DIR;
const reason = python || prebuilt ? '' : 'no .venv with Python Keras (run `npm run fixtures`)';
if (reason) {
  // Python Keras is part of CI's setup (.ci/run): there, its absence is a failure, not a skip.
  if (process.env.CI) {
    it('builds keras.applications models in CI', () => {
      throw new Error(`the keras.applications comparison cannot run in CI: ${reason}`);
    });
  } else console.warn(`skipped: keras.applications models against real Keras: ${reason}`);
}

describe.skipIf(Boolean(reason))('keras.applications models: our engine matches real Keras (1e-4)', () => {
  let dir = '';
  let temp: string | null = null;
  let manifest: Manifest = { files: [], errors: [] };

  beforeAll(async () => {
    if (prebuilt && existsSync(join(prebuilt, 'manifest.json'))) dir = prebuilt;
    else {
      temp = mkdtempSync(join(tmpdir(), 'kb-applications-'));
      dir = temp;
      await promisify(execFile)(
        python as string,
        [
          join(repoRoot, 'fixtures', 'make_applications.py'),
          dir,
          ...(process.env.KERAS_BATCH_APPLICATIONS_RELOAD === '1' ? ['--reload'] : []),
        ],
        {
          env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
          maxBuffer: 64 << 20,
        },
      );
    }
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  }, 600_000);
  afterAll(() => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  it('the script built every model (Keras itself built and saved them)', () => {
    expect(manifest.errors).toEqual([]);
    expect(manifest.files.map((f) => f.file).sort()).toEqual([...FILES].sort());
    expect(manifest.files.filter((f) => f.save_error)).toEqual([]);
  });

  for (const file of FILES) {
    const expectedRefusal = EXPECTED_UNSUPPORTED.get(file);
    it(`${file}${expectedRefusal ? ` is refused (${expectedRefusal})` : ''}`, async () => {
      const entry = manifest.files.find((f) => f.file === file);
      if (!entry || entry.save_error)
        throw new Error(`${file} was not built: ${entry?.save_error ?? 'missing'}`);
      const open = async () => {
        // the default budgets (VGG16 with its top has 528 MiB of weights)
        const model = await loadModel(join(dir, file), { limits: defaultLimits() });
        return createEngine(model, { threads: 1 });
      };
      if (expectedRefusal) {
        let engine: Awaited<ReturnType<typeof open>> | null = null;
        try {
          engine = await open();
        } catch (error) {
          expect((error as Error).message).toMatch(CLEAR_REFUSAL);
          return;
        }
        await engine.dispose();
        throw new Error(`${file} compiles now: remove it from EXPECTED_UNSUPPORTED`);
      }
      // Keras' own predict on the file loaded back; where Keras cannot load its own file back, on the model
      // it saved (the same weights: the script checks that both agree where both exist).
      const expected = entry.outputs ?? entry.built_outputs;
      if (entry.reload_error) console.warn(`${file}: Keras cannot load it back (${entry.reload_error})`);
      const engine = await open();
      try {
        const outputs = await engine.predict(
          entry.inputs.map(
            (t): InputTensor =>
              'strings' in t
                ? { strings: t.strings, dims: t.dims }
                : { data: Float32Array.from(t.data), dims: t.dims },
          ),
        );
        expect(outputs.length).toBe(expected.length);
        for (const [i, out] of outputs.entries()) expectClose(out, expected[i], 1e-4, `${file} output ${i}`);
      } finally {
        await engine.dispose();
      }
    });
  }
});
