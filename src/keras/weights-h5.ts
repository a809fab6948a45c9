/**
 * Weights of legacy HDF5 files (Keras 1/2, tf.keras, Keras 3 legacy `.h5`, and `save_weights` files):
 * a group per layer named in `layer_names`, each listing its datasets in `weight_names` order.
 */
import { KerasErrorCode, loadError } from './errors.js';
import { datasetAt, groupAt, type H5Group, readFloatDataset, stringListAttr } from './hdf5.js';
import type { WeightTensor } from './model.js';

/** Per-layer weights of a legacy HDF5 weights group, with the file's layer order. */
export interface LegacyWeights {
  names: string[];
  weights: Map<string, WeightTensor[]>;
}

/** Read every layer's weights from a group holding `layer_names` (`model_weights`, or the root). */
export function readLegacyWeights(group: H5Group): LegacyWeights {
  const names = stringListAttr(group, 'layer_names');
  if (names === null) throw loadError(KerasErrorCode.NotKerasHdf5, 'the weights group has no layer_names');
  const weights = new Map<string, WeightTensor[]>();
  for (const name of names) {
    // a `/` in a layer name is a nested path (`conv1/conv`), as h5py reads it
    const g = groupAt(group, name);
    if (!g) {
      throw loadError(KerasErrorCode.BadWeight, `layer '${name}' is listed in layer_names but has no group`);
    }
    const weightNames = stringListAttr(g, 'weight_names') ?? [];
    weights.set(
      name,
      weightNames.map((wn) => {
        const ds = datasetAt(g, wn);
        if (!ds) throw loadError(KerasErrorCode.BadWeight, `layer '${name}': weight '${wn}' is missing`);
        const { shape, data } = readFloatDataset(ds, `layer '${name}': weight '${wn}'`);
        return { name: wn, shape, data };
      }),
    );
  }
  return { names, weights };
}
