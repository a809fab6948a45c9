import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import type {
  ConnectionView,
  DeploymentView,
  JobView,
  KerasBatchService,
  ModelVersionView,
  ModelView,
  NewConnectionInput,
  NewDeploymentInput,
  Page,
} from '../../service/index.js';
import { KerasBatchError } from '../../util/errors.js';

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
  deleteModel(id: string): Promise<void>;
  addConnection(input: NewConnectionInput): Promise<ConnectionView>;
  listConnections(): Promise<Page<ConnectionView>>;
  deleteConnection(id: string): Promise<void>;
  createDeployment(input: NewDeploymentInput): Promise<DeploymentView>;
  listDeployments(model?: string): Promise<Page<DeploymentView>>;
  showDeployment(id: string): Promise<DeploymentView>;
  runDeployment(id: string): Promise<JobView>;
  deleteDeployment(id: string): Promise<void>;
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
  const server = options.server ?? process.env.KERAS_BATCH_SERVER;
  if (server) {
    const key = options.apiKey ?? process.env.KERAS_BATCH_API_KEY;
    if (!key)
      throw new KerasBatchError('cli', 'CLI_NO_API_KEY', '--server needs --api-key (or KERAS_BATCH_API_KEY)');
    return new HttpClient(server.replace(/\/+$/, ''), key);
  }
  const { openService } = await import('../../service/index.js');
  const service = await openService({
    dataDir: options.dataDir ?? '.keras-batch',
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  return new EmbeddedClient(service);
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
    const architecture = i.architecture ? new Uint8Array(await readFile(i.architecture)) : undefined;
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
  deleteModel = (id: string) => this.s.deleteModel(id);
  addConnection = (i: NewConnectionInput) => this.s.createConnection(i);
  listConnections = () => this.s.listConnections({ limit: 1000 });
  deleteConnection = (id: string) => this.s.deleteConnection(id);
  createDeployment = (i: NewDeploymentInput) => this.s.createDeployment(i);
  listDeployments = (model?: string) => this.s.listDeployments({ model, limit: 1000 });
  showDeployment = (id: string) => this.s.getDeployment(id);
  runDeployment = (id: string) => this.s.runDeployment(id);
  deleteDeployment = (id: string) => this.s.deleteDeployment(id);
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
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.key}` } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, init);
    } catch (error) {
      throw new KerasBatchError(
        'cli',
        'CLI_SERVER_UNREACHABLE',
        `cannot reach ${this.base}: ${(error as Error).message}`,
      );
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      let code = `HTTP_${res.status}`;
      try {
        const e = JSON.parse(text) as { error: { code: string; message: string } };
        message = e.error.message;
        code = e.error.code;
      } catch {
        // not our error shape: show the text
      }
      throw new KerasBatchError('server', code, message);
    }
    return JSON.parse(text) as T;
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
    const existing = await this.call<ModelView>('GET', `/api/v1/models/${encodeURIComponent(i.name)}`).catch(
      () => undefined,
    );
    if (existing) return this.call<ModelVersionView>('POST', `/api/v1/models/${existing.id}/versions`, form);
    form.set('name', i.name);
    if (i.description) form.set('description', i.description);
    return this.call('POST', '/api/v1/models', form);
  }
  listModels = () => this.call<Page<ModelView>>('GET', '/api/v1/models?limit=1000');
  showModel = (id: string) => this.call<ModelView>('GET', `/api/v1/models/${encodeURIComponent(id)}`);
  deleteModel = (id: string) => this.call<void>('DELETE', `/api/v1/models/${encodeURIComponent(id)}`);
  addConnection = (i: NewConnectionInput) => this.call<ConnectionView>('POST', '/api/v1/connections', i);
  listConnections = () => this.call<Page<ConnectionView>>('GET', '/api/v1/connections?limit=1000');
  deleteConnection = (id: string) =>
    this.call<void>('DELETE', `/api/v1/connections/${encodeURIComponent(id)}`);
  createDeployment = (i: NewDeploymentInput) => this.call<DeploymentView>('POST', '/api/v1/deployments', i);
  listDeployments = (model?: string) =>
    this.call<Page<DeploymentView>>(
      'GET',
      `/api/v1/deployments?limit=1000${model ? `&model=${encodeURIComponent(model)}` : ''}`,
    );
  showDeployment = (id: string) =>
    this.call<DeploymentView>('GET', `/api/v1/deployments/${encodeURIComponent(id)}`);
  runDeployment = (id: string) =>
    this.call<JobView>('POST', `/api/v1/deployments/${encodeURIComponent(id)}/run`);
  deleteDeployment = (id: string) =>
    this.call<void>('DELETE', `/api/v1/deployments/${encodeURIComponent(id)}`);
  listJobs = (deployment?: string) =>
    this.call<Page<JobView>>(
      'GET',
      `/api/v1/jobs?limit=1000${deployment ? `&deployment=${encodeURIComponent(deployment)}` : ''}`,
    );
  showJob = (id: string) => this.call<JobView>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);
  cancelJob = (id: string) => this.call<JobView>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`);
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
