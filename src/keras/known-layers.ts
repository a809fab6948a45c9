/**
 * The standard Keras layer classes (Keras 2, tf.keras 2.x and Keras 3 `keras.layers`, plus the model
 * classes and Keras 1 names that the loader renames). A class outside these sets is a custom class and is
 * refused at load. Whether the engine can *compile* a class is the engine's decision, not this list's.
 *
 * The layer classes themselves, their aliases and weights are described once per class in `layer-classes/`;
 * the sets here are views of those descriptors.
 */
import {
  APPLICATION_CLASSES,
  KERAS_HUB_CLASSES,
  KERAS_LAYER_CLASSES,
  WRAPPER_CLASS_NAMES,
} from './layer-classes/index.js';

/**
 * Layer classes that run arbitrary Python code: always refused, their config is never decoded. (tf.keras'
 * `TFOpLambda`/`SlicingOpLambda` store a TF function's name and arguments, no code: see tf-ops.ts.)
 */
export const CODE_LAYERS: ReadonlySet<string> = new Set([
  'Lambda',
  'TFSMLayer',
  'TorchModuleWrapper',
  'JaxLayer',
  'FlaxLayer',
]);

/** Classes that are models; used as a layer they are flattened into the parent graph. */
export const MODEL_CLASSES: ReadonlySet<string> = new Set(['Sequential', 'Functional', 'Model']);

/** Wrappers whose config holds an inner `layer` (and Bidirectional an optional `backward_layer`). */
export const WRAPPER_CLASSES: ReadonlySet<string> = new Set(WRAPPER_CLASS_NAMES);

/** Aliases Keras accepts for the same class, mapped to the canonical name. */
export const CLASS_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  KERAS_LAYER_CLASSES.flatMap((d) => (d.aliases ?? []).map((alias) => [alias, d.name])),
);

/** Canonical Keras 2/3 layer class names accepted at load. */
export const KNOWN_LAYER_CLASSES: ReadonlySet<string> = new Set(KERAS_LAYER_CLASSES.map((d) => d.name));

/** Standard activation function names (`activation` / `recurrent_activation` values). */
export const KNOWN_ACTIVATIONS: ReadonlySet<string> = new Set([
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'softmax',
  'log_softmax',
  'softplus',
  'softsign',
  'elu',
  'selu',
  'gelu',
  'swish',
  'silu',
  'exponential',
  'leaky_relu',
  'mish',
  'hard_swish',
  'hard_silu',
  'celu',
  'glu',
  'hard_tanh',
  'log_sigmoid',
  'soft_shrink',
  'hard_shrink',
  'tanh_shrink',
  'sparse_plus',
  'sparsemax',
  'squareplus',
  'threshold',
  'sparse_sigmoid',
]);

/** The canonical name of a class (aliases resolved), unchanged when it has no alias. */
export function canonicalClass(className: string): string {
  return CLASS_ALIASES[className] ?? className;
}

/** Whether a (canonical) class is a standard Keras layer, wrapper or model class. */
export function isKnownClass(className: string): boolean {
  return KNOWN_LAYER_CLASSES.has(className) || MODEL_CLASSES.has(className);
}

const BASE_LAYER_KEYS: ReadonlySet<string> = new Set(['name', 'trainable', 'dtype']);

/**
 * The engine's class name (`applications.LayerScale`) for a stored entry of a `keras.applications` layer
 * class, or null when the entry is not one (see `layer-classes/applications.ts`).
 */
export function applicationClass(
  className: string,
  module: unknown,
  registeredName: unknown,
  config: Record<string, unknown>,
): string | null {
  for (const [canonical, spec] of Object.entries(APPLICATION_CLASSES)) {
    if (!spec.storedNames.includes(className)) continue;
    if (typeof module === 'string') {
      const re = new RegExp(`^(tf_)?keras(\\.src)?\\.applications\\.${spec.module}$`);
      const registered =
        registeredName === undefined || registeredName === null || registeredName === className;
      return re.test(module) && registered && !className.includes('>') ? canonical : null;
    }
    const keys = Object.keys(config);
    const exact =
      spec.params.every((p) => keys.includes(p)) &&
      keys.every((k) => BASE_LAYER_KEYS.has(k) || spec.params.includes(k));
    return exact ? canonical : null;
  }
  return null;
}

/**
 * The engine's class name (`keras_hub.TransformerEncoder`) for a stored entry of a keras_hub (or keras_nlp)
 * modeling class, or null when the entry is not one. Only the package's own word counts: a `.keras` entry
 * names the module (`keras_hub.src.layers.modeling.transformer_encoder`) and the registered name
 * (`keras_hub>TransformerEncoder`), a Keras 3 legacy `.h5` stores the registered name as the class name. Every
 * name that is given must say keras_hub/keras_nlp; a user's own class of the same name (module `__main__`,
 * registered `Custom>…` or none) is not one of these.
 */
export function kerasHubClass(className: string, module: unknown, registeredName: unknown): string | null {
  const named = /^(keras_hub|keras_nlp)>(\w+)$/.exec(className);
  const pythonName = named ? named[2] : className;
  for (const [canonical, spec] of Object.entries(KERAS_HUB_CLASSES)) {
    if (spec.pythonName !== pythonName) continue;
    const registered = `^(keras_hub|keras_nlp)>${pythonName}$`;
    const moduleOk =
      module === undefined ||
      module === null ||
      (typeof module === 'string' &&
        new RegExp(`^(keras_hub|keras_nlp)\\.(src\\.)?layers(\\.modeling(\\.${spec.module})?)?$`).test(
          module,
        ));
    const registeredOk =
      registeredName === undefined ||
      registeredName === null ||
      (typeof registeredName === 'string' && new RegExp(registered).test(registeredName));
    const claimed = named !== null || typeof module === 'string' || typeof registeredName === 'string';
    return moduleOk && registeredOk && claimed ? canonical : null;
  }
  return null;
}
