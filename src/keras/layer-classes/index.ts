/**
 * Every standard Keras layer class the reader knows, one descriptor per class (see `descriptor.ts`), and the
 * class names as types: a name outside them, in a descriptor table, a typed config map or the engine's
 * `registerLayer`, is a compile error (as tfjs-layers' `keras_format/` lists do).
 *
 * Source: `dir(keras.layers)` of Keras 3.15 and tf-keras 2.21, and Keras 1.2 `keras/layers/*.py`.
 */
import { ACTIVATION_FAMILY } from './activation.js';
import { APPLICATIONS_FAMILY, type ApplicationClassInfo } from './applications.js';
import { ATTENTION_FAMILY } from './attention.js';
import { CONVOLUTION_FAMILY } from './convolution.js';
import { CORE_FAMILY } from './core.js';
import type { LayerClassInfo, LayerFamilyTable } from './descriptor.js';
import { KERAS_HUB_FAMILY, type KerasHubClassInfo } from './keras-hub.js';
import { MERGING_FAMILY } from './merging.js';
import { NORMALIZATION_FAMILY } from './normalization.js';
import { POOLING_FAMILY } from './pooling.js';
import { AUGMENTATION_FAMILY, PREPROCESSING_FAMILY } from './preprocessing.js';
import { RECURRENT_FAMILY } from './recurrent.js';
import { RESHAPING_FAMILY } from './reshaping.js';
import { WRAPPER_FAMILY } from './wrappers.js';

/** The families of `keras.layers` (the `applications.*` classes are not among them). */
const KERAS_LAYER_FAMILIES = {
  core: CORE_FAMILY,
  activation: ACTIVATION_FAMILY,
  convolution: CONVOLUTION_FAMILY,
  reshaping: RESHAPING_FAMILY,
  pooling: POOLING_FAMILY,
  normalization: NORMALIZATION_FAMILY,
  merging: MERGING_FAMILY,
  attention: ATTENTION_FAMILY,
  recurrent: RECURRENT_FAMILY,
  wrapper: WRAPPER_FAMILY,
  preprocessing: PREPROCESSING_FAMILY,
  augmentation: AUGMENTATION_FAMILY,
};

type KerasLayerFamilies = typeof KERAS_LAYER_FAMILIES;
export type LayerFamily = keyof KerasLayerFamilies | 'applications' | 'keras_hub';

/** The class names of one family (`FamilyClassName<'pooling'>` = `'MaxPooling1D' | …`). */
export type FamilyClassName<F extends keyof KerasLayerFamilies> = keyof KerasLayerFamilies[F] & string;

/** Every canonical class name of `keras.layers` the reader accepts (aliases resolved). */
export type LayerClassName = {
  [F in keyof KerasLayerFamilies]: FamilyClassName<F>;
}[keyof KerasLayerFamilies];

/** The `keras.applications` classes, by the engine's name (`applications.LayerScale`). */
export type ApplicationClassName = keyof typeof APPLICATIONS_FAMILY;

/** The keras_hub modeling classes, by the engine's name (`keras_hub.TransformerEncoder`). */
export type KerasHubClassName = keyof typeof KERAS_HUB_FAMILY;

/** Every class the engine may be asked to compile by name. */
export type KnownClassName = LayerClassName | ApplicationClassName | KerasHubClassName;

/** One class' descriptor: its name and family with what its family table says of it. */
export interface LayerClassDescriptor extends LayerClassInfo {
  readonly name: KnownClassName;
  readonly family: LayerFamily;
}

/** The descriptors of one family table (its keys are class names of the family). */
function describe(family: LayerFamily, table: LayerFamilyTable): LayerClassDescriptor[] {
  return Object.entries(table).map(([name, info]) => ({ ...info, name: name as KnownClassName, family }));
}

/** The descriptors of every `keras.layers` class, family by family. */
export const KERAS_LAYER_CLASSES: readonly LayerClassDescriptor[] = Object.entries(
  KERAS_LAYER_FAMILIES,
).flatMap(([family, table]) => describe(family as LayerFamily, table));

const DESCRIPTORS = new Map<string, LayerClassDescriptor>(
  [
    ...KERAS_LAYER_CLASSES,
    ...describe('applications', APPLICATIONS_FAMILY),
    ...describe('keras_hub', KERAS_HUB_FAMILY),
  ].map((d) => [d.name, d]),
);

/** The descriptor of a canonical class name (`applications.*` included), or undefined. */
export function layerClass(name: string): LayerClassDescriptor | undefined {
  return DESCRIPTORS.get(name);
}

/** The stored forms of the `keras.applications` classes, by the engine's name. */
export const APPLICATION_CLASSES: Readonly<Record<ApplicationClassName, ApplicationClassInfo>> =
  APPLICATIONS_FAMILY;

/** The stored forms of the keras_hub modeling classes, by the engine's name. */
export const KERAS_HUB_CLASSES: Readonly<Record<KerasHubClassName, KerasHubClassInfo>> = KERAS_HUB_FAMILY;

/** The augmentation layers, identity in `predict`, in their table's order. */
export const AUGMENTATION_CLASS_NAMES = Object.keys(AUGMENTATION_FAMILY) as FamilyClassName<'augmentation'>[];

/** The wrapper classes (their config holds an inner `layer`). */
export const WRAPPER_CLASS_NAMES = Object.keys(WRAPPER_FAMILY) as FamilyClassName<'wrapper'>[];

/** The aliases of a class (`MaxPool2D` for MaxPooling2D); none for unknown names. */
export function aliasesOf(name: string): readonly string[] {
  return DESCRIPTORS.get(name)?.aliases ?? [];
}

export type {
  LayerClassInfo,
  WeightArity,
  WeightCounter,
  WeightShapeCheck,
} from './descriptor.js';
export { innerLayer } from './wrappers.js';
