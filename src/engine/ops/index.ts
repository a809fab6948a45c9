// Each file registers the Keras op classes it implements.
import './elementwise.js';
import './activations.js';
import './reductions.js';
import './shape-ops.js';
import './indexing.js';
import './core.js';
import './linalg.js';

export { opConverterFor, supportedOpClasses } from './registry.js';
