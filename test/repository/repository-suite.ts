/**
 * One repository test suite, registered once per database (SQLite and PostgreSQL) with a factory that
 * opens a fresh, migrated, empty repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NewJobRow, newId, now, type Repository, RepositoryError } from '../../src/repository/index.js';

export interface RepositoryFactory {
  open(): Promise<Repository>;
  /** Opens the same database again (migrations must be idempotent). */
  reopen(): Promise<Repository>;
  cleanup(): Promise<void>;
}

const version = (modelId: string, id = newId()) => ({
  id,
  model_id: modelId,
  framework: 'keras',
  keras_version: '2.0.9',
  format: 'keras2-h5',
  inputs: '[]',
  outputs: '[]',
  layers: '[]',
  params: 283_806,
  size: 3_000_000_000,
  sha256: 'ab'.repeat(32),
  file_name: 'm.h5',
  artifact_key: `models/${modelId}/${id}/m.h5`,
  architecture_key: null,
  author: 'me',
  created_at: now(),
});

const job = (deploymentId: string, status = 'queued', created_at = now()): NewJobRow => ({
  id: newId(),
  deployment_id: deploymentId,
  status,
  status_message: null,
  interrupted: 0,
  attempts: 0,
  total: 0,
  scored: 0,
  failed: 0,
  skipped: 0,
  records: 0,
  listing_done: 0,
  created_at,
  started_at: null,
  finished_at: null,
  duration_ms: null,
  files_per_second: null,
  records_per_second: null,
  mode: 'all',
  rerun_of: null,
  history: '[]',
});

export function registerRepositorySuite(name: string, factory: () => RepositoryFactory): void {
  describe(`repository on ${name}`, () => {
    let f: RepositoryFactory;
    let repo: Repository;
    beforeAll(async () => {
      f = factory();
      repo = await f.open();
    });
    afterAll(async () => {
      await repo?.close();
      await f?.cleanup();
    });

    const model = async (name: string) => {
      const t = now();
      return repo.models.insertModel({
        id: newId(),
        name,
        description: 'd',
        author: null,
        created_at: t,
        updated_at: t,
        latest_version: 0,
      });
    };
    const connection = (name: string) =>
      repo.connections.insert({
        id: newId(),
        name,
        kind: 'local',
        endpoint: null,
        region: null,
        path: '/tmp',
        secret: null,
        hint: null,
        created_at: now(),
      });
    const deployment = async (modelId: string, versionId: string, conn: string) =>
      repo.deployments.insert({
        id: newId(),
        name: `dep-${newId()}`,
        description: '',
        type: 'batch',
        model_id: modelId,
        model_version_id: versionId,
        source_connection_id: conn,
        source_bucket: 'in',
        source_prefix: '',
        target_connection_id: conn,
        target_bucket: 'out',
        target_prefix: 'p/',
        options: '{"batch_size":8}',
        created_at: now(),
      });

    it('migrations run again on an existing database without change', async () => {
      const again = await f.reopen();
      expect(await again.apiKeys.count()).toBe(await repo.apiKeys.count());
      await again.close();
    });

    it('models: unique names, found by id or name, listed by page', async () => {
      const a = await model('alpha');
      await expect(model('alpha')).rejects.toMatchObject({ code: 'REPO_CONFLICT' });
      expect((await repo.models.getModel('alpha')).id).toBe(a.id);
      expect((await repo.models.getModel(a.id)).name).toBe('alpha');
      await expect(repo.models.getModel('nope')).rejects.toBeInstanceOf(RepositoryError);
      await model('beta');
      const page = await repo.models.listModels({ limit: 1, offset: 0 });
      expect(page.items).toHaveLength(1);
      expect(page.total).toBeGreaterThanOrEqual(2);
    });

    it('versions are numbered 1, 2, 3 even when added at once; sizes past 2^31 survive', async () => {
      const m = await model('versioned');
      const added = await Promise.all([1, 2, 3].map(() => repo.models.addVersion(version(m.id))));
      expect(added.map((v) => v.version).sort()).toEqual([1, 2, 3]);
      expect((await repo.models.getVersionOf(m.id)).version).toBe(3);
      const v2 = await repo.models.getVersionOf(m.id, 2);
      expect(v2.size).toBe(3_000_000_000);
      expect(Number(v2.params)).toBe(283_806);
      expect((await repo.models.getModel(m.id)).latest_version).toBe(3);
      expect((await repo.models.listVersions(m.id)).map((v) => v.version)).toEqual([3, 2, 1]);
      await expect(repo.models.getVersionOf(m.id, 9)).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    });

    it('a model used by a deployment cannot be deleted; deleting it after removes its versions', async () => {
      const m = await model('in-use');
      const v = await repo.models.addVersion(version(m.id));
      const c = await connection('conn-in-use');
      const d = await deployment(m.id, v.id, c.id);
      await expect(repo.models.deleteModel(m.id)).rejects.toMatchObject({ code: 'REPO_IN_USE' });
      await expect(repo.connections.delete(c.id)).rejects.toMatchObject({ code: 'REPO_IN_USE' });
      await repo.deployments.delete(d.id);
      const removed = await repo.models.deleteModel(m.id);
      expect(removed.map((r) => r.id)).toEqual([v.id]);
      await expect(repo.models.getVersion(v.id)).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
      await repo.connections.delete(c.id);
      await expect(repo.connections.get('conn-in-use')).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    });

    it('connections: unique names, looked up by id or name', async () => {
      const c = await connection('shared-folder');
      await expect(connection('shared-folder')).rejects.toMatchObject({ code: 'REPO_CONFLICT' });
      expect((await repo.connections.get('shared-folder')).id).toBe(c.id);
      expect((await repo.connections.list({ limit: 100, offset: 0 })).items.some((x) => x.id === c.id)).toBe(
        true,
      );
    });

    it('a transaction commits everything its stores wrote, or nothing (nested store transactions join it)', async () => {
      const row = (name: string) => ({
        id: newId(),
        name,
        kind: 'local' as const,
        endpoint: null,
        region: null,
        path: '/tmp',
        secret: null,
        hint: null,
        created_at: now(),
      });
      await expect(
        repo.transaction(async (tx) => {
          await tx.connections.insert(row('tx-a'));
          await tx.connections.insert(row('tx-b'));
          throw new Error('refused after two inserts');
        }),
      ).rejects.toThrow('refused after two inserts');
      await expect(repo.connections.get('tx-a')).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
      await repo.transaction(async (tx) => {
        await tx.connections.insert(row('tx-c'));
        await tx.jobs.setFailures('no-such-job', []); // opens its own transaction: joins this one
      });
      expect((await repo.connections.get('tx-c')).name).toBe('tx-c');
    });

    it('jobs: transitions only from the given states, counts by status, newest first, failures paged', async () => {
      const m = await model('jobs-model');
      const v = await repo.models.addVersion(version(m.id));
      const c = await connection('jobs-conn');
      const d = await deployment(m.id, v.id, c.id);
      const j1 = await repo.jobs.insert(job(d.id, 'queued', '2026-01-01T00:00:00.000Z'));
      const j2 = await repo.jobs.insert(job(d.id, 'queued', '2026-01-02T00:00:00.000Z'));
      expect(await repo.jobs.transition(j1.id, ['queued'], 'running', { attempts: 1 })).toBe(true);
      expect(await repo.jobs.transition(j1.id, ['queued'], 'canceled')).toBe(false);
      expect(await repo.jobs.transition(j1.id, ['running'], 'completed', { scored: 5, total: 5 })).toBe(true);
      const done = await repo.jobs.get(j1.id);
      expect(done).toMatchObject({ status: 'completed', attempts: 1, scored: 5, total: 5 });
      expect((await repo.jobs.latest(d.id))?.id).toBe(j2.id);
      expect((await repo.jobs.withStatus(['queued'])).map((j) => j.id)).toContain(j2.id);
      const counts = await repo.jobs.countByStatus();
      expect(counts.completed).toBeGreaterThanOrEqual(1);
      expect(counts.queued).toBeGreaterThanOrEqual(1);
      const listed = await repo.jobs.list({
        deploymentId: d.id,
        status: ['completed'],
        limit: 10,
        offset: 0,
      });
      expect(listed.items.map((j) => j.id)).toEqual([j1.id]);
      expect(listed.total).toBe(1);

      const failures = Array.from({ length: 1203 }, (_, i) => ({
        file: `f${i}.json`,
        stage: 'parse',
        code: 'INPUT_BAD_JSON',
        reason: `bad ${i}`,
      }));
      await repo.jobs.setFailures(j1.id, failures);
      const page = await repo.jobs.failures(j1.id, { limit: 100, offset: 1200 });
      expect(page.total).toBe(1203);
      expect(page.items.map((x) => x.file)).toEqual(['f1200.json', 'f1201.json', 'f1202.json']);
      await repo.jobs.setFailures(j1.id, failures.slice(0, 2));
      expect((await repo.jobs.failures(j1.id, { limit: 10, offset: 0 })).total).toBe(2);

      await repo.deployments.delete(d.id);
      await expect(repo.jobs.get(j1.id)).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
      expect((await repo.jobs.failures(j1.id, { limit: 10, offset: 0 })).total).toBe(0);
    });

    it('lifecycle: edits, unique deployment names, jobs kept after a delete, references cleaned by later deletes', async () => {
      const m = await model('life-model');
      const v1 = await repo.models.addVersion(version(m.id));
      const v2 = await repo.models.addVersion(version(m.id));
      const c = await connection('life-conn');
      const d = await deployment(m.id, v1.id, c.id);
      const updated = await repo.deployments.update(d.id, { name: 'life-dep', model_version_id: v2.id });
      expect(updated).toMatchObject({ name: 'life-dep', model_version_id: v2.id, deleted_at: null });
      await expect(repo.deployments.checkNameFree('life-dep')).rejects.toMatchObject({
        code: 'REPO_CONFLICT',
      });
      await repo.deployments.checkNameFree('life-dep', d.id);
      expect(await repo.connections.usersOf(c.id)).toEqual([{ id: d.id, name: 'life-dep' }]);
      expect(await repo.models.usersOf(m.id)).toEqual([{ id: d.id, name: 'life-dep' }]);
      await expect(repo.models.deleteModel(m.id)).rejects.toThrow(
        'model "life-model" is used by deployment "life-dep": delete it first',
      );
      const j = await repo.jobs.insert(job(d.id, 'completed', '2026-01-03T00:00:00.000Z'));
      await repo.deployments.delete(d.id, 'keep');
      await expect(repo.deployments.get(d.id)).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
      await expect(repo.deployments.delete(d.id, 'keep')).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
      await repo.deployments.checkNameFree('life-dep');
      expect((await repo.deployments.list({ modelId: m.id, limit: 10, offset: 0 })).total).toBe(0);
      expect((await repo.jobs.get(j.id)).status).toBe('completed');
      // the connection goes (the kept records lose their reference), then the model (the records go with it)
      await repo.connections.delete(c.id);
      expect((await repo.jobs.get(j.id)).deployment_id).toBe(d.id);
      await expect(repo.models.updateModel(m.id, { name: 'alpha' })).rejects.toMatchObject({
        code: 'REPO_CONFLICT',
      });
      expect((await repo.models.updateModel(m.id, { name: 'life-renamed' })).name).toBe('life-renamed');
      await repo.models.deleteModel(m.id);
      await expect(repo.jobs.get(j.id)).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    });

    it('API keys are stored hashed and verified by hash', async () => {
      const { key, row } = await repo.apiKeys.create('test', 'viewer');
      expect(row.hash).not.toContain(key);
      expect(JSON.stringify(await repo.apiKeys.list())).not.toContain(key);
      expect((await repo.apiKeys.verify(key))?.id).toBe(row.id);
      expect(await repo.apiKeys.verify(`${key}x`)).toBeUndefined();
      await repo.apiKeys.touch(row.id);
      await repo.apiKeys.delete(row.id);
      expect(await repo.apiKeys.verify(key)).toBeUndefined();
    });

    it('the audit log keeps entries newest first, filtered and paged', async () => {
      const entry = {
        key_id: 'k1',
        key_name: 'ci',
        role: 'editor',
        method: 'POST',
        route: '/r',
        target_id: null,
      };
      const a = await repo.audit.append({ ...entry, status: 201 });
      const b = await repo.audit.append({ ...entry, status: 403 });
      const c = await repo.audit.append({ ...entry, key_id: 'k2', status: 404 });
      const all = await repo.audit.list({}, { limit: 10, offset: 0 });
      expect(all.items.map((r) => r.id)).toEqual([c.id, b.id, a.id]);
      expect(all.total).toBe(3);
      expect(all.items[0]).toEqual(c);
      const refused = await repo.audit.list({ outcome: 'refused', keyId: 'k1' }, { limit: 10, offset: 0 });
      expect(refused.items.map((r) => r.id)).toEqual([b.id]);
      expect((await repo.audit.list({ outcome: 'ok' }, { limit: 10, offset: 0 })).total).toBe(1);
      expect((await repo.audit.list({ since: c.at }, { limit: 10, offset: 0 })).items[0].id).toBe(c.id);
      expect(
        (await repo.audit.list({ since: '2999-01-01T00:00:00.000Z' }, { limit: 10, offset: 0 })).total,
      ).toBe(0);
      const second = await repo.audit.list({}, { limit: 1, offset: 1 });
      expect(second).toEqual({ items: [b], total: 3 });
    });
  });
}
