import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { openModel } from '../../engine/open-model.js';
import {
  formatPrediction,
  nonFiniteRecords,
  outsideUnitInterval,
  readInputFile,
} from '../../scoring/index.js';
import { errorMessage } from '../../util/errors.js';

interface PredictOptions {
  model: string;
  input: string;
  architecture?: string;
  threads?: string;
}

/** `keras-batch predict`: scores one seed-format input file and prints the seed's output object. */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      'score one input file ({"values": ...}) and print the seed\'s output object keyed by its name',
    )
    .requiredOption('-m, --model <file>', 'Keras model file (.h5, .hdf5, .keras)')
    .requiredOption('-i, --input <file>', 'input file in the seed format: {"values": <record or records>}')
    .option('--architecture <json>', 'architecture JSON (model.to_json()) for a weights-only .h5')
    .option('--threads <n>', 'inference threads (default: all cores)')
    .action(async (options: PredictOptions) => {
      const model = await openModel(options.model, {
        architecture: options.architecture,
        threads: options.threads ? Number(options.threads) : undefined,
      });
      try {
        let records: ReturnType<typeof readInputFile>;
        try {
          records = readInputFile(new Uint8Array(await readFile(options.input)), model.engine.inputs);
        } catch (error) {
          throw new Error(`${options.input}: ${errorMessage(error)}`);
        }
        const outputs = await model.engine.predict(records.tensors);
        if (outsideUnitInterval(outputs)) {
          process.stderr.write(
            'warning: some predictions lie outside [0, 1]; "probability" repeats them as Keras predict_proba did\n',
          );
        }
        const nonFinite = nonFiniteRecords(outputs, 0, records.count);
        if (nonFinite > 0) {
          process.stderr.write(
            `warning: ${nonFinite} of ${records.count} record(s) have NaN or Infinity outputs, written as null (their prediction_classes too)\n`,
          );
        }
        process.stdout.write(`${formatPrediction(basename(options.input), outputs, 0, records.count)}\n`);
      } finally {
        await model.engine.dispose();
      }
    });
}
