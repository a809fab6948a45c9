import { describe, expect, it } from 'vitest';
import { supportedLayerClasses } from '../../src/engine/index.js';
import type { ConfigReader } from '../../src/engine/layers/config.js';
import { CLASS_ALIASES, KNOWN_LAYER_CLASSES } from '../../src/keras/known-layers.js';
import type { ConfigOf } from '../../src/keras/layer-classes/configs.js';
import { APPLICATION_CLASSES, KERAS_HUB_CLASSES } from '../../src/keras/layer-classes/index.js';

describe('the layer registry', () => {
  it('registers only known classes and their aliases, each alias with its class', () => {
    const supported = supportedLayerClasses();
    for (const name of supported) {
      const known =
        KNOWN_LAYER_CLASSES.has(name) ||
        Object.hasOwn(APPLICATION_CLASSES, name) ||
        Object.hasOwn(KERAS_HUB_CLASSES, name);
      const alias = Object.hasOwn(CLASS_ALIASES, name) && supported.includes(CLASS_ALIASES[name]);
      expect([name, known || alias]).toEqual([name, true]);
    }
    for (const [alias, name] of Object.entries(CLASS_ALIASES)) {
      expect([alias, supported.includes(alias)]).toEqual([alias, supported.includes(name)]);
    }
  });

  it('types a converter config by its class (a wrong key or type does not compile)', () => {
    const read = (cfg: ConfigReader<ConfigOf<'Dense'>>) => [
      cfg.number('units'),
      cfg.bool('use_bias', true),
      // @ts-expect-error: a typo
      cfg.bool('use_bais', true),
      // @ts-expect-error: use_bias is a boolean
      cfg.number('use_bias'),
    ];
    expect(typeof read).toBe('function');
  });

  it('types a key that holds two shapes as their union, and every augmentation layer', () => {
    const read = (
      up1: ConfigReader<ConfigOf<'UpSampling1D'>>,
      up2: ConfigReader<ConfigOf<'UpSampling2D'>>,
      flip: ConfigReader<ConfigOf<'RandomFlip'>>,
    ) => [
      up1.number('size'),
      up2.tuple('size', 2),
      // @ts-expect-error: UpSampling2D's size may be a tuple
      up2.number('size'),
      flip.channelsFirst(),
      // @ts-expect-error: not a key of the augmentation layers
      flip.number('units'),
    ];
    expect(typeof read).toBe('function');
  });
});
