// Each file registers the Keras layer classes it implements.
import './core.js';
import './convolution.js';
import './pooling.js';
import './embedding.js';
import './recurrent.js';
import './wrappers.js';
import './activation-layers.js';
import './reshaping.js';
import './upsampling.js';
import './conv-depthwise.js';
import './conv-transpose.js';
import './global-pooling.js';
import './normalization.js';
import './merge.js';
import './einsum-dense.js';
import './multi-head-attention.js';
import './attention.js';
