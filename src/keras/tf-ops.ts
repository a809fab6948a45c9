/**
 * tf.keras 2.x records a TensorFlow function called on Keras tensors in a functional model as a `TFOpLambda`
 * (or `SlicingOpLambda` for `x[...]`) layer: the function's name (`math.add`, `nn.relu`, `__operators__.getitem`)
 * and its arguments, no code. Each supported function is translated here to the Keras 3 op it equals
 * (`math.multiply` → `Multiply`), with Keras' argument order and config, so one set of op converters serves both.
 * A function outside the table, or an argument the table does not map, is refused naming it.
 */
import { KerasErrorCode, layerError } from './errors.js';
import { isObject } from './json.js';
import { type InboundNode, OP_CLASS_PREFIX, type TensorRef } from './model.js';
import type { RawLayer } from './raw-model.js';

interface TfOp {
  /** The Keras op class. */
  op: string;
  /** TF parameter names passed as the Keras op's positional call arguments, in order (the first is TF's first). */
  args: string[];
  /** TF parameter name → Keras config key (`input_tensor`'s `axis` → `axis`). */
  config?: Record<string, string>;
  /** Keras config values the TF function implies (`nn.gelu` is exact, Keras' op default is not). */
  fixed?: Record<string, unknown>;
  /** TF parameters that must hold these values (or be absent) for the translation to hold. */
  require?: Record<string, unknown>;
  /** Default of a TF parameter mapped to config, where Keras' default differs. */
  defaults?: Record<string, unknown>;
}

const binary = (op: string): TfOp => ({ op, args: ['x', 'y'] });
const unary = (op: string, arg = 'x'): TfOp => ({ op, args: [arg] });
const reduce = (op: string): TfOp => ({
  op,
  args: ['input_tensor'],
  config: { axis: 'axis', keepdims: 'keepdims' },
});

const TABLE: Record<string, TfOp> = {
  'math.add': binary('Add'),
  '__operators__.add': binary('Add'),
  'math.subtract': binary('Subtract'),
  'math.multiply': binary('Multiply'),
  'math.divide': binary('Divide'),
  'math.truediv': binary('TrueDivide'),
  'math.floordiv': binary('FloorDivide'),
  floor_div: binary('FloorDivide'),
  'math.floormod': binary('Mod'),
  'math.mod': binary('Mod'),
  'math.pow': binary('Power'),
  'math.maximum': binary('Maximum'),
  'math.minimum': binary('Minimum'),
  'math.divide_no_nan': binary('DivideNoNan'),
  'math.equal': binary('Equal'),
  'math.not_equal': binary('NotEqual'),
  'math.less': binary('Less'),
  'math.less_equal': binary('LessEqual'),
  'math.greater': binary('Greater'),
  'math.greater_equal': binary('GreaterEqual'),
  'math.logical_and': binary('LogicalAnd'),
  'math.logical_or': binary('LogicalOr'),
  'math.logical_xor': binary('LogicalXor'),
  'math.logical_not': unary('LogicalNot'),
  'math.negative': unary('Negative'),
  'math.abs': unary('Abs'),
  'math.square': unary('Square'),
  'math.sqrt': unary('Sqrt'),
  'math.rsqrt': unary('Rsqrt'),
  'math.exp': unary('Exp'),
  'math.expm1': unary('Expm1'),
  'math.log': unary('Log'),
  'math.log1p': unary('Log1p'),
  'math.reciprocal': unary('Reciprocal'),
  'math.sign': unary('Sign'),
  'math.floor': unary('Floor'),
  'math.ceil': unary('Ceil'),
  'math.round': unary('Round'),
  'math.erf': unary('Erf'),
  'math.sin': unary('Sin'),
  'math.cos': unary('Cos'),
  'math.tan': unary('Tan'),
  'math.tanh': unary('Tanh'),
  'nn.tanh': unary('Tanh'),
  'math.sigmoid': unary('Sigmoid'),
  'nn.sigmoid': unary('Sigmoid'),
  'math.softplus': unary('Softplus', 'features'),
  'nn.softplus': unary('Softplus', 'features'),
  'nn.softsign': unary('Softsign', 'features'),
  'math.softsign': unary('Softsign', 'features'),
  'nn.relu': unary('Relu', 'features'),
  'nn.relu6': unary('Relu6', 'features'),
  'nn.elu': unary('Elu', 'features'),
  'nn.selu': unary('Selu', 'features'),
  'nn.silu': { op: 'Silu', args: ['features'], require: { beta: 1 } },
  'nn.swish': { op: 'Silu', args: ['features'], require: { beta: 1 } },
  'nn.gelu': {
    op: 'Gelu',
    args: ['features'],
    config: { approximate: 'approximate' },
    defaults: { approximate: false },
  },
  'nn.leaky_relu': {
    op: 'LeakyRelu',
    args: ['features'],
    config: { alpha: 'negative_slope' },
    defaults: { alpha: 0.2 },
  },
  'nn.softmax': { op: 'Softmax', args: ['logits'], config: { axis: 'axis' }, defaults: { axis: -1 } },
  'math.softmax': { op: 'Softmax', args: ['logits'], config: { axis: 'axis' }, defaults: { axis: -1 } },
  'nn.log_softmax': { op: 'LogSoftmax', args: ['logits'], config: { axis: 'axis' }, defaults: { axis: -1 } },
  'math.reduce_sum': reduce('Sum'),
  'math.reduce_mean': reduce('Mean'),
  'math.reduce_max': reduce('Max'),
  'math.reduce_min': reduce('Min'),
  'math.reduce_prod': reduce('Prod'),
  'math.reduce_logsumexp': reduce('Logsumexp'),
  'math.reduce_std': reduce('Std'),
  'math.reduce_variance': reduce('Var'),
  'math.reduce_any': reduce('Any'),
  'math.reduce_all': reduce('All'),
  'math.argmax': { op: 'Argmax', args: ['input'], config: { axis: 'axis' }, defaults: { axis: 0 } },
  'math.argmin': { op: 'Argmin', args: ['input'], config: { axis: 'axis' }, defaults: { axis: 0 } },
  concat: { op: 'Concatenate', args: ['values'], config: { axis: 'axis' } },
  stack: { op: 'Stack', args: ['values'], config: { axis: 'axis' }, defaults: { axis: 0 } },
  reshape: { op: 'Reshape', args: ['tensor'], config: { shape: 'newshape' } },
  transpose: { op: 'Transpose', args: ['a'], config: { perm: 'axes' }, require: { conjugate: false } },
  expand_dims: { op: 'ExpandDims', args: ['input'], config: { axis: 'axis' } },
  squeeze: { op: 'Squeeze', args: ['input'], config: { axis: 'axis' }, require: { squeeze_dims: null } },
  cast: { op: 'Cast', args: ['x'], config: { dtype: 'dtype' } },
  identity: unary('Copy', 'input'),
  stop_gradient: unary('StopGradient', 'input'),
  clip_by_value: {
    op: 'Clip',
    args: ['t'],
    config: { clip_value_min: 'x_min', clip_value_max: 'x_max' },
  },
  where: { op: 'Where', args: ['condition', 'x', 'y'] },
  tile: { op: 'Tile', args: ['input'], config: { multiples: 'repeats' } },
  split: {
    op: 'Split',
    args: ['value'],
    config: { num_or_size_splits: 'indices_or_sections', axis: 'axis' },
    require: { num: null },
  },
  'linalg.matmul': {
    op: 'Matmul',
    args: ['a', 'b'],
    require: { transpose_a: false, transpose_b: false, adjoint_a: false, adjoint_b: false },
  },
  '__operators__.matmul': binary('Matmul'),
  '__operators__.getitem': { op: 'GetItem', args: ['tensor', 'slice_spec'] },
};

const CONSTANT = '_CONSTANT_VALUE';

function fail(name: string, cls: string, message: string): never {
  throw layerError(KerasErrorCode.UnsupportedLegacy, name, cls, message);
}

/** A tf.keras `[layer, node, tensor]` reference (in kwargs) as a TensorRef. */
function toRefs(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (
      value.length === 3 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'number' &&
      typeof value[2] === 'number'
    ) {
      return { layer: value[0], nodeIndex: value[1], tensorIndex: value[2] } satisfies TensorRef;
    }
    return value.map(toRefs);
  }
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toRefs(v)]));
  return value;
}

/** One serialized first argument: a `[layer, node, tensor, kwargs?]` entry or a `[_CONSTANT_VALUE, -1, value]` one. */
function readEntry(entry: unknown[]): { value: unknown; kwargs: Record<string, unknown> } {
  const kwargs = isObject(entry[3]) ? entry[3] : {};
  if (entry[0] === CONSTANT) return { value: entry[2], kwargs };
  const [layer, nodeIndex, tensorIndex] = entry;
  if (typeof layer !== 'string' || typeof nodeIndex !== 'number' || typeof tensorIndex !== 'number') {
    throw layerError(
      KerasErrorCode.BadConfig,
      String(layer),
      'TFOpLambda',
      'invalid inbound tensor reference',
    );
  }
  return { value: { layer, nodeIndex, tensorIndex } satisfies TensorRef, kwargs };
}

const isEntry = (v: unknown): v is unknown[] => Array.isArray(v) && typeof v[0] === 'string';

/** TF's slice_spec items as Keras 3 GetItem key items (`{start, stop, step}` → `__slice__`). */
function sliceKey(spec: unknown): unknown {
  const item = (v: unknown): unknown =>
    isObject(v) && 'start' in v && 'stop' in v && 'step' in v ? { class_name: '__slice__', config: v } : v;
  return Array.isArray(spec) ? spec.map(item) : item(spec);
}

/** A reference the graph parser made (it names a layer and a node index). */
function isTensorRef(value: unknown): value is TensorRef {
  return isObject(value) && typeof value.layer === 'string' && typeof value.nodeIndex === 'number';
}

/** Every tensor a stored value refers to, in order. */
function refsIn(value: unknown, out: TensorRef[]): void {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (isObject(value)) {
    if (isTensorRef(value)) out.push(value);
    else for (const v of Object.values(value)) refsIn(v, out);
  }
}

function translateNode(
  name: string,
  cls: string,
  fn: string,
  spec: TfOp,
  node: unknown,
): { config: Record<string, unknown>; inbound: InboundNode } {
  let first: unknown;
  let kwargs: Record<string, unknown> = {};
  if (isEntry(node)) {
    ({ value: first, kwargs } = readEntry(node));
  } else if (Array.isArray(node) && node.every(isEntry)) {
    const entries = node.map(readEntry);
    first = entries.map((e) => e.value);
    kwargs = entries[0]?.kwargs ?? {};
  } else fail(name, cls, `tf.${fn}: an inbound node that is not a tf.keras call`);
  const call: Record<string, unknown> = {
    ...(toRefs(kwargs) as Record<string, unknown>),
    [spec.args[0]]: first,
  };
  const config: Record<string, unknown> = { name, ...spec.fixed };
  for (const [tf, keras] of Object.entries(spec.config ?? {})) {
    const value = Object.hasOwn(call, tf) ? call[tf] : spec.defaults?.[tf];
    if (value !== undefined) config[keras] = value;
  }
  for (const [tf, wanted] of Object.entries(spec.require ?? {})) {
    const value = call[tf];
    if (value !== undefined && value !== null && JSON.stringify(value) !== JSON.stringify(wanted)) {
      fail(name, cls, `tf.${fn} with ${tf}=${JSON.stringify(value)} is not supported`);
    }
  }
  const known = new Set([
    'name',
    ...spec.args,
    ...Object.keys(spec.config ?? {}),
    ...Object.keys(spec.require ?? {}),
  ]);
  for (const [key, value] of Object.entries(call)) {
    if (!known.has(key) && value !== null && value !== undefined) {
      fail(name, cls, `tf.${fn} argument ${key}=${JSON.stringify(value)} is not understood`);
    }
  }
  const args = spec.args.map((a) => (a === 'slice_spec' ? sliceKey(call[a]) : (call[a] ?? null)));
  while (args.length > 1 && args[args.length - 1] === null) args.pop();
  const inputs: TensorRef[] = [];
  refsIn(args, inputs);
  return { config, inbound: { inputs, kwargs: {}, args } };
}

/** Whether a stored entry is a tf.keras TF-function layer. */
export function isTfOpEntry(entry: { class_name?: unknown }): boolean {
  return entry.class_name === 'TFOpLambda' || entry.class_name === 'SlicingOpLambda';
}

/** A TFOpLambda/SlicingOpLambda entry as the Keras op layer it equals, with its calls translated. */
export function tfOpLayer(
  entry: { class_name?: unknown; config?: unknown; inbound_nodes?: unknown },
  index: number,
): RawLayer {
  const cls = String(entry.class_name);
  const cfg = isObject(entry.config) ? entry.config : {};
  const name = typeof cfg.name === 'string' ? cfg.name : `layer_${index}`;
  const fn = typeof cfg.function === 'string' ? cfg.function.replace(/^compat\.v[12]\./, '') : '';
  const spec = TABLE[fn];
  if (!spec)
    fail(
      name,
      cls,
      `the TensorFlow function tf.${fn || '?'} is not supported (it is not run as code either)`,
    );
  const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
  const calls = nodes.map((n) => translateNode(name, cls, fn, spec, n));
  const config = calls[0]?.config ?? { name };
  if (calls.some((c) => JSON.stringify(c.config) !== JSON.stringify(config))) {
    fail(name, cls, `tf.${fn} called with different arguments at different places`);
  }
  return {
    name,
    className: `${OP_CLASS_PREFIX}${spec.op}`,
    config,
    inbound: calls.map((c) => c.inbound),
    weights: [],
    model: null,
  };
}
