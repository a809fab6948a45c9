// Each file registers the Keras layer classes it implements.
import './core.js';
import './convolution.js';
import './pooling.js';
