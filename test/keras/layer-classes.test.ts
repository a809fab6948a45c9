import { describe, expect, it } from 'vitest';
import { CLASS_ALIASES, KNOWN_LAYER_CLASSES } from '../../src/keras/known-layers.js';
import { KERAS_LAYER_CLASSES, type KnownClassName, layerClass } from '../../src/keras/layer-classes/index.js';

describe('layer class descriptors', () => {
  it('name each class once, in one family', () => {
    const names = KERAS_LAYER_CLASSES.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(KNOWN_LAYER_CLASSES.size).toBe(names.length);
  });

  it('give aliases that are not class names and belong to one class', () => {
    const aliases = KERAS_LAYER_CLASSES.flatMap((d) => d.aliases ?? []);
    expect(new Set(aliases).size).toBe(aliases.length);
    for (const alias of aliases) expect(KNOWN_LAYER_CLASSES.has(alias)).toBe(false);
    expect(CLASS_ALIASES.MaxPool2D).toBe('MaxPooling2D');
  });

  it('give each Keras 1 name to one class', () => {
    const keras1 = KERAS_LAYER_CLASSES.flatMap((d) => (d.keras1 ? (d.keras1.names ?? [d.name]) : []));
    expect(new Set(keras1).size).toBe(keras1.length);
  });

  it('describe the keras.applications classes apart from keras.layers', () => {
    expect(layerClass('applications.LayerScale')?.family).toBe('applications');
    expect(KNOWN_LAYER_CLASSES.has('applications.LayerScale')).toBe(false);
  });

  it('describe the keras_hub classes apart from keras.layers', () => {
    expect(layerClass('keras_hub.TransformerEncoder')?.family).toBe('keras_hub');
    expect(KNOWN_LAYER_CLASSES.has('keras_hub.TransformerEncoder')).toBe(false);
    expect(KNOWN_LAYER_CLASSES.has('TransformerEncoder')).toBe(false);
  });

  it('make class names types (a typo does not compile)', () => {
    const known: KnownClassName = 'Conv2D';
    // @ts-expect-error: not a Keras layer class
    const typo: KnownClassName = 'Conv2d';
    // @ts-expect-error: an alias, registered through its class
    const alias: KnownClassName = 'MaxPool2D';
    expect([known, typo, alias]).toHaveLength(3);
  });
});
