import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import { notFound } from './errors.js';
import { newestFirst } from './paging.js';
import { inTransaction } from './transaction.js';
import type { Database, JobFailuresTable, JobsTable } from './types.js';

export type JobRow = Selectable<JobsTable>;
export type JobFailureRow = Selectable<JobFailuresTable>;
export type JobPatch = Updateable<JobsTable>;
/** A failure to store: the job, its place in the list and its attempt are the repository's. */
export type NewFailure = Omit<JobFailureRow, 'job_id' | 'seq' | 'attempt'>;
/** The columns a new job may leave out: its own places (a deployment's job), how it runs and its history. */
type JobDefaultedColumns =
  | 'source_connection_id'
  | 'source_bucket'
  | 'source_prefix'
  | 'target_connection_id'
  | 'target_bucket'
  | 'target_prefix'
  | 'spec'
  | 'mode'
  | 'rerun_of'
  | 'history';
export type NewJobRow = Omit<JobRow, JobDefaultedColumns> & Partial<Pick<JobRow, JobDefaultedColumns>>;
const JOB_DEFAULTS: Pick<JobRow, JobDefaultedColumns> = {
  mode: 'all',
  rerun_of: null,
  history: '[]',
  source_connection_id: null,
  source_bucket: null,
  source_prefix: null,
  target_connection_id: null,
  target_bucket: null,
  target_prefix: null,
  spec: null,
};

/** Job states; `completed`, `failed` and `canceled` are final. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'canceled'];

/** Jobs, their counts and their per-file failures. */
export class JobStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a new job: its own places null, `mode` `all`, no `rerun_of` and an empty history unless given. */
  async insert(input: NewJobRow): Promise<JobRow> {
    const row: JobRow = { ...JOB_DEFAULTS, ...input };
    await this.db.insertInto('jobs').values(row).execute();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('jobs').where('id', '=', id).execute();
  }

  /** The job with this id; `REPO_NOT_FOUND` otherwise. */
  async get(id: string): Promise<JobRow> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('job', id);
    return row;
  }

  async update(id: string, patch: JobPatch): Promise<void> {
    await this.db.updateTable('jobs').set(patch).where('id', '=', id).execute();
  }

  /**
   * Moves a job to `to` only when it is in one of `from` (so a cancel and a finish cannot overwrite
   * each other); returns whether it moved.
   */
  async transition(
    id: string,
    from: readonly JobStatus[],
    to: JobStatus,
    patch: JobPatch = {},
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({ ...patch, status: to })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Jobs, newest first: of a deployment, in these states, created in `[since, until)` (ISO-8601 text), and
   * matching `search` (the start of the job's id, or a part of its deployment's name, case-insensitive).
   */
  async list(filter: {
    deploymentId?: string;
    status?: JobStatus[];
    since?: string;
    until?: string;
    search?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: JobRow[]; total: number }> {
    let q = this.db.selectFrom('jobs');
    if (filter.deploymentId) q = q.where('deployment_id', '=', filter.deploymentId);
    if (filter.status?.length) q = q.where('status', 'in', filter.status);
    if (filter.since) q = q.where('created_at', '>=', filter.since);
    if (filter.until) q = q.where('created_at', '<', filter.until);
    const search = filter.search?.trim().toLowerCase();
    if (search) {
      const like = search.replace(/[\\%_]/g, (c) => `\\${c}`);
      q = q.where((eb) =>
        eb.or([
          sql<boolean>`lower(jobs.id) like ${`${like}%`} escape '\\'`,
          eb(
            'deployment_id',
            'in',
            eb
              .selectFrom('deployments')
              .select('deployments.id')
              .where(sql<boolean>`lower(deployments.name) like ${`%${like}%`} escape '\\'`),
          ),
        ]),
      );
    }
    return newestFirst(q.selectAll('jobs'), filter, 'desc');
  }

  /** The newest job of a deployment, or undefined. */
  async latest(deploymentId: string): Promise<JobRow | undefined> {
    return this.db
      .selectFrom('jobs')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Jobs in these states, oldest first. */
  async withStatus(statuses: JobStatus[]): Promise<JobRow[]> {
    return this.db
      .selectFrom('jobs')
      .selectAll()
      .where('status', 'in', statuses)
      .orderBy('created_at')
      .execute();
  }

  /** How many jobs are in each state. */
  async countByStatus(): Promise<Record<JobStatus, number>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const out = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of rows) out[r.status as JobStatus] = Number(r.n);
    return out;
  }

  /**
   * Adds failures of `attempt` after the job's last one (the live view of a running job). An earlier attempt's
   * failure of the same input is replaced: an input is listed once, for the latest attempt that failed on it.
   */
  async appendFailures(jobId: string, failures: NewFailure[], attempt = 1): Promise<void> {
    if (failures.length === 0) return;
    await inTransaction(this.db, (trx) => this.addAfter(trx, jobId, attempt, failures));
  }

  /**
   * Sets the failures of one attempt (its final list replaces what it wrote live), keeping the earlier
   * attempts' failures of other inputs: what a resumed job's earlier attempts found is not lost.
   */
  async setAttemptFailures(jobId: string, attempt: number, failures: NewFailure[]): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await trx
        .deleteFrom('job_failures')
        .where('job_id', '=', jobId)
        .where('attempt', '>=', attempt)
        .execute();
      await this.addAfter(trx, jobId, attempt, failures);
    });
  }

  /** Adds failures after the job's last one, dropping earlier attempts' failures of the same inputs. */
  private async addAfter(trx: Kysely<Database>, jobId: string, attempt: number, failures: NewFailure[]) {
    if (attempt > 1) {
      const files = [...new Set(failures.map((f) => f.file))];
      for (let i = 0; i < files.length; i += 500)
        await trx
          .deleteFrom('job_failures')
          .where('job_id', '=', jobId)
          .where('attempt', '<', attempt)
          .where('file', 'in', files.slice(i, i + 500))
          .execute();
    }
    const { n } = await trx
      .selectFrom('job_failures')
      .select((eb) => eb.fn.max<number | null>('seq').as('n'))
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    const start = n === null ? 0 : Number(n) + 1;
    for (let i = 0; i < failures.length; i += 500) {
      const chunk = failures
        .slice(i, i + 500)
        .map((f, j) => ({ ...f, attempt, job_id: jobId, seq: start + i + j }));
      await trx.insertInto('job_failures').values(chunk).execute();
    }
  }

  /** Every failed input's key of a job (distinct, in order): what a rerun of the failed inputs scores. */
  async failedFiles(jobId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('job_failures')
      .select('file')
      .where('job_id', '=', jobId)
      .orderBy('seq')
      .execute();
    return [...new Set(rows.map((r) => r.file))];
  }

  /** Replaces a job's failures with these (in order). */
  async setFailures(jobId: string, failures: NewFailure[]): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await trx.deleteFrom('job_failures').where('job_id', '=', jobId).execute();
      for (let i = 0; i < failures.length; i += 500) {
        const chunk = failures.slice(i, i + 500).map((f, j) => ({ ...f, job_id: jobId, seq: i + j }));
        await trx.insertInto('job_failures').values(chunk).execute();
      }
    });
  }

  async failures(
    jobId: string,
    page: { limit: number; offset: number },
  ): Promise<{ items: JobFailureRow[]; total: number }> {
    const items = await this.db
      .selectFrom('job_failures')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('seq')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const { n } = await this.db
      .selectFrom('job_failures')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    return { items, total: Number(n) };
  }
}
