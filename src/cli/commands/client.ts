import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import {
  type ApiClient,
  type CascadeQuery,
  type ConnectionInput,
  createApiClient,
  type DeploymentInput,
  type DeploymentPatch,
} from '../../contract/index.js';
import type {
  ConnectionView,
  DeploymentView,
  JobView,
  KerasBatchService,
  ModelView,
  Page,
} from '../../service/index.js';
import { errorMessage, KerasBatchError } from '../../util/errors.js';

/** Where the repository commands act: the embedded data dir, or a server. */
export interface TargetOptions {
  server?: string;
  apiKey?: string;
  dataDir?: string;
}

/** What the `models`, `connections`, `deployments` and `jobs` commands need, embedded or remote alike. */
export interface Client {
  readonly remote: boolean;
  addModel(input: {
    file: string;
    name: string;
    description?: string;
    author?: string;
    architecture?: string;
  }): Promise<unknown>;
  listModels(): Promise<Page<ModelView>>;
  showModel(id: string): Promise<ModelView>;
  renameModel(id: string, name: string): Promise<ModelView>;
  deleteModel(id: string, deployments?: 'refuse' | 'delete'): Promise<void>;
  addConnection(input: ConnectionInput): Promise<ConnectionView>;
  listConnections(): Promise<Page<ConnectionView>>;
  deleteConnection(id: string, cascade?: CascadeQuery): Promise<void>;
  createDeployment(input: DeploymentInput): Promise<DeploymentView>;
  listDeployments(model?: string): Promise<Page<DeploymentView>>;
  showDeployment(id: string): Promise<DeploymentView>;
  runDeployment(id: string): Promise<JobView>;
  updateDeployment(id: string, patch: DeploymentPatch): Promise<DeploymentView>;
  deleteDeployment(id: string, jobs?: 'delete' | 'keep'): Promise<void>;
  listJobs(deployment?: string): Promise<Page<JobView>>;
  showJob(id: string): Promise<JobView>;
  cancelJob(id: string): Promise<JobView>;
  /** Waits for the job to end (embedded: it runs in this process). */
  waitJob(id: string): Promise<JobView>;
  close(): Promise<void>;
}

/** Adds `--server`, `--api-key` and `--data-dir` to a command. */
export function targetOptions(command: Command): Command {
  return command
    .option(
      '--server <url>',
      'act on a running server (default: the embedded data dir); env KERAS_BATCH_SERVER',
    )
    .option('--api-key <key>', 'API key for --server; env KERAS_BATCH_API_KEY')
    .option('--data-dir <dir>', 'embedded data dir (default ./.keras-batch)');
}

/** Opens the client the options select. */
export async function openClient(options: TargetOptions): Promise<Client> {
  const server = serverOf(options);
  if (server) return new HttpClient(server.base, server.key);
  const { openService } = await import('../../service/index.js');
  const service = await openService({
    dataDir: options.dataDir ?? '.keras-batch',
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  return new EmbeddedClient(service);
}

/** The typed API client of a server, with the CLI's errors (unreachable, or the server's code and message). */
export function serverApi(base: string, key: string): ApiClient {
  return createApiClient({
    baseUrl: base,
    apiKey: key,
    toError: (f) =>
      f.status === 0
        ? new KerasBatchError(
            'cli',
            'CLI_SERVER_UNREACHABLE',
            `cannot reach ${base}: ${errorMessage(f.cause)}`,
          )
        : new KerasBatchError('server', f.code ?? `HTTP_${f.status}`, f.message ?? f.text),
  });
}

/** The server `--server` (or KERAS_BATCH_SERVER) and its key, or undefined for the embedded data dir. */
export function serverOf(options: TargetOptions): { base: string; key: string } | undefined {
  const server = options.server ?? process.env.KERAS_BATCH_SERVER;
  if (!server) return undefined;
  const key = options.apiKey ?? process.env.KERAS_BATCH_API_KEY;
  if (!key)
    throw new KerasBatchError('cli', 'CLI_NO_API_KEY', '--server needs --api-key (or KERAS_BATCH_API_KEY)');
  return { base: server.replace(/\/+$/, ''), key };
}

class EmbeddedClient implements Client {
  readonly remote = false;
  constructor(private readonly s: KerasBatchService) {}
  async addModel(i: {
    file: string;
    name: string;
    description?: string;
    author?: string;
    architecture?: string;
  }) {
    const file = { name: basename(i.file), bytes: new Uint8Array(await readFile(i.file)) };
    const architecture = i.architecture
      ? { bytes: new Uint8Array(await readFile(i.architecture)) }
      : undefined;
    return this.s.models.createOrAddVersion({
      name: i.name,
      description: i.description,
      author: i.author,
      file,
      architecture,
    });
  }
  listModels = () => this.s.listModels({ limit: 1000 });
  showModel = (id: string) => this.s.getModel(id);
  renameModel = (id: string, name: string) => this.s.updateModel(id, { name });
  deleteModel = (id: string, deployments?: 'refuse' | 'delete') => this.s.deleteModel(id, { deployments });
  addConnection = (i: ConnectionInput) => this.s.createConnection(i);
  listConnections = () => this.s.listConnections({ limit: 1000 });
  deleteConnection = (id: string, cascade?: CascadeQuery) => this.s.deleteConnection(id, cascade);
  createDeployment = (i: DeploymentInput) => this.s.createDeployment(i);
  listDeployments = (model?: string) => this.s.listDeployments({ model, limit: 1000 });
  showDeployment = (id: string) => this.s.getDeployment(id);
  runDeployment = (id: string) => this.s.runDeployment(id);
  updateDeployment = (id: string, patch: DeploymentPatch) => this.s.updateDeployment(id, patch);
  deleteDeployment = (id: string, jobs?: 'delete' | 'keep') => this.s.deleteDeployment(id, jobs);
  listJobs = (deployment?: string) => this.s.listJobs({ deployment, limit: 1000 });
  showJob = (id: string) => this.s.getJob(id);
  cancelJob = (id: string) => this.s.cancelJob(id);
  async waitJob(id: string) {
    await this.s.jobs.idle();
    return this.s.getJob(id);
  }
  close = () => this.s.close();
}

class HttpClient implements Client {
  readonly remote = true;
  private readonly api: ApiClient;
  constructor(base: string, key: string) {
    this.api = serverApi(base, key);
  }

  async addModel(i: {
    file: string;
    name: string;
    description?: string;
    author?: string;
    architecture?: string;
  }) {
    const form = new FormData();
    form.set('file', new Blob([await readFile(i.file)]), basename(i.file));
    if (i.architecture)
      form.set('architecture', new Blob([await readFile(i.architecture)]), basename(i.architecture));
    if (i.author) form.set('author', i.author);
    const existing = await this.api.getModel(i.name).catch(() => undefined);
    if (existing) return this.api.addVersion(existing.id, form);
    form.set('name', i.name);
    if (i.description) form.set('description', i.description);
    return this.api.createModel(form);
  }
  listModels = () => this.api.listModels({ limit: 1000 });
  showModel = (id: string) => this.api.getModel(id);
  renameModel = (id: string, name: string) => this.api.updateModel(id, { name });
  deleteModel = (id: string, deployments?: 'refuse' | 'delete') => this.api.deleteModel(id, { deployments });
  addConnection = (i: ConnectionInput) => this.api.createConnection(i);
  listConnections = () => this.api.listConnections({ limit: 1000 });
  deleteConnection = (id: string, cascade?: CascadeQuery) => this.api.deleteConnection(id, cascade);
  createDeployment = (i: DeploymentInput) => this.api.createDeployment(i);
  listDeployments = (model?: string) => this.api.listDeployments({ limit: 1000, model });
  showDeployment = (id: string) => this.api.getDeployment(id);
  runDeployment = (id: string) => this.api.runDeployment(id);
  updateDeployment = (id: string, patch: DeploymentPatch) => this.api.updateDeployment(id, patch);
  deleteDeployment = (id: string, jobs?: 'delete' | 'keep') => this.api.deleteDeployment(id, { jobs });
  listJobs = (deployment?: string) => this.api.listJobs({ limit: 1000, deployment });
  showJob = (id: string) => this.api.getJob(id);
  cancelJob = (id: string) => this.api.cancelJob(id);
  async waitJob(id: string) {
    for (;;) {
      const job = await this.showJob(id);
      if (job.status === 'completed' || job.status === 'failed' || job.status === 'canceled') return job;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  close = async () => undefined;
}

/** Runs `fn` with a client and closes it after. */
export async function withClient<T>(options: TargetOptions, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await openClient(options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Prints a value as indented JSON. */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** Prints rows as aligned columns. */
export function printTable<T extends object>(rows: readonly T[], columns: string[]): void {
  const cells = [columns, ...rows.map((r) => columns.map((c) => String(Reflect.get(r, c) ?? '')))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  for (const row of cells)
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}\n`,
    );
}
