/** Command-line flags of `npm run bench`. */

export interface BenchOptions {
  /** Print one JSON document on stdout instead of tables. */
  json: boolean;
  /** Shorter budgets: the whole run in under a minute. */
  quick: boolean;
  /** Suites to run (default: all). */
  suites: string[] | null;
  /** Model paths overriding the defaults (`--model-cnn PATH`...), by key. */
  models: Record<string, string>;
  /** Batch sizes for the throughput suite. */
  batches: number[];
  /** Python for the Keras baseline (default `.venv/bin/python`). */
  python: string | null;
  noKeras: boolean;
  noTfjs: boolean;
  /** Minutes of the soak suite (default 30). */
  minutes: number | null;
}

export const USAGE = `usage: npm run bench -- [--json] [--quick] [--suite engine,load] [--batches 1,32,256]
       [--model-cnn PATH] [--model-mlp PATH] [--model-lstm PATH] [--python PATH] [--no-keras] [--no-tfjs]
       [--suite soak --minutes N]`;

export function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    json: false,
    quick: false,
    suites: null,
    models: {},
    batches: [1, 32, 256],
    python: null,
    noKeras: false,
    noTfjs: false,
    minutes: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    const model = /^--model-([a-z0-9-]+)$/.exec(arg);
    if (arg === '--json') options.json = true;
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--no-keras') options.noKeras = true;
    else if (arg === '--no-tfjs') options.noTfjs = true;
    else if (arg === '--python') options.python = value();
    else if (arg === '--minutes') options.minutes = positiveInt(value());
    else if (arg === '--suite' || arg === '--suites') options.suites = value().split(',');
    else if (arg === '--batches') options.batches = value().split(',').map(positiveInt);
    else if (model) options.models[model[1]] = value();
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag ${arg}\n${USAGE}`);
  }
  return options;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${text}`);
  return n;
}
