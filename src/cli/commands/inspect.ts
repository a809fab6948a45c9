import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { compileModel, handlingText, layerHandling, planBackend } from '../../engine/index.js';
import { countParams, loadModel } from '../../keras/index.js';
import type { ModelDescription, Shape } from '../../keras/model.js';
import { errorMessage } from '../../util/errors.js';

interface InspectOptions {
  architecture?: string;
  json?: boolean;
}

const shapeText = (s: Shape) =>
  `(${s.map((d) => (d === null ? 'None' : d)).join(', ')}${s.length === 1 ? ',' : ''})`;

/** Everything `inspect` reports about a model, as data. */
export function describeModel(model: ModelDescription) {
  const plan = planBackend(model);
  let shapes = new Map<string, Shape[]>();
  let outputShapes: Shape[] = [];
  let compileError: string | null = null;
  if (plan.backend) {
    try {
      const compiled = compileModel(model);
      shapes = compiled.layerShapes;
      outputShapes = compiled.outputShapes;
    } catch (error) {
      compileError = errorMessage(error);
    }
  }
  const handling = layerHandling(model, compileError);
  return {
    name: model.name,
    format: model.format,
    keras_version: model.kerasVersion,
    backend: model.backend,
    model_class: model.modelClass,
    engine: plan.backend && !compileError ? plan.backend.name : null,
    fast_path: plan.backend?.name === 'onnxruntime' && !compileError,
    unsupported: compileError ? [compileError] : Object.values(plan.gaps).flat(),
    inputs: model.inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.dtype })),
    // each output's own call (a shared layer's later call may differ from its first)
    outputs: model.outputs.map((o, i) => ({
      name: o.name,
      shape: outputShapes[i] ?? shapes.get(o.ref.layer)?.[o.ref.tensorIndex] ?? null,
    })),
    layers: model.layers.map((l, i) => ({
      name: l.name,
      class_name: l.className,
      output_shape: shapes.get(l.name)?.map((s) => s) ?? null,
      params: countParams(l),
      /** What the engine does with it: onnx, host, identity, input, unused (with why) or refused (with why). */
      engine: handling[i],
    })),
    total_params: model.layers.reduce((sum, l) => sum + countParams(l), 0),
  };
}

function printTable(info: ReturnType<typeof describeModel>): void {
  const out: string[] = [];
  out.push(`Model: ${info.name}`);
  out.push(
    `Format: ${info.format}   Keras: ${info.keras_version}   Saved from backend: ${info.backend ?? 'not recorded'}   Class: ${info.model_class}`,
  );
  out.push(
    `Engine: ${info.fast_path ? 'onnxruntime (fast path covers every layer)' : `none — ${info.unsupported.join('; ')}`}`,
  );
  out.push('');
  const rows = info.layers.map((l) => [
    l.name,
    l.class_name,
    l.output_shape ? l.output_shape.map(shapeText).join(' ') : '?',
    String(l.params),
    handlingText(l.engine),
  ]);
  const head = ['Layer', 'Class', 'Output shape', 'Params', 'Engine'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 3 ? c.padStart(widths[i]) : i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ');
  out.push(line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  out.push('', `Total params: ${info.total_params}`);
  out.push(`Inputs:  ${info.inputs.map((i) => `${i.name} ${shapeText(i.shape)} ${i.dtype}`).join(', ')}`);
  out.push(
    `Outputs: ${info.outputs.map((o) => `${o.name} ${o.shape ? shapeText(o.shape) : '?'}`).join(', ')}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

/** `keras-batch inspect`: what a model file holds and whether the fast path runs it. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'show a model: format, Keras version, layers with output shapes and parameters, inputs, outputs, engine',
    )
    .argument('<model>', 'Keras model file (.h5, .hdf5, .keras)')
    .option('--architecture <json>', 'architecture JSON (model.to_json()) for a weights-only .h5')
    .option('--json', 'print JSON instead of a table')
    .action(async (path: string, options: InspectOptions) => {
      const architecture = options.architecture
        ? new Uint8Array(await readFile(options.architecture))
        : undefined;
      const model = await loadModel(path, { architecture });
      const info = describeModel(model);
      if (options.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else printTable(info);
    });
}
