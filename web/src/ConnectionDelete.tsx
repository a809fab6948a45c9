import { useState } from 'react';
import { api, type Connection } from './api';
import { DeploymentLinks, type DeploymentRef, Dialog, JobRecordsChoice } from './Dialog';
import { ErrorBox, Loading, message, useLoad } from './ui';

/**
 * Deleting a connection: the deployments that read or write through it are listed (names, links); the
 * connection can be deleted only without them, so the dialog offers to delete them with it.
 */
export function DeleteConnection(props: { connection: Connection; onClose: () => void; onDone: () => void }) {
  const c = props.connection;
  const users = useLoad(() => usersOfConnection(c.id), [c.id]);
  const [jobs, setJobs] = useState<'delete' | 'keep'>('delete');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const remove = async (cascade: boolean) => {
    setBusy(true);
    try {
      await api.deleteConnection(c.id, cascade ? { deployments: 'delete', jobs } : {});
      props.onDone();
    } catch (err) {
      setError(`Not deleted: ${message(err)}`);
      users.reload();
    } finally {
      setBusy(false);
    }
  };
  const list = users.data;
  const one = list?.length === 1;
  return (
    <Dialog title={`Delete the connection "${c.name}"?`} onClose={props.onClose} testId="delete-connection">
      {users.loading && !list && <Loading what="the deployments using it" />}
      {users.error && <ErrorBox error={users.error} retry={users.reload} />}
      {list && list.length === 0 && (
        <p>No deployment uses it. Its stored keys are deleted; the bucket is not touched.</p>
      )}
      {list && list.length > 0 && (
        <>
          <p>
            {one ? 'This deployment reads or writes' : `These ${list.length} deployments read or write`}{' '}
            through it. Delete {one ? 'it' : 'them'} first, or delete {one ? 'it' : 'them'} together with the
            connection:
          </p>
          <DeploymentLinks items={list} />
          <JobRecordsChoice value={jobs} onChange={setJobs} many={!one} />
        </>
      )}
      {error && <ErrorBox error={error} />}
      <div className="buttons">
        {list && list.length === 0 && (
          <button type="button" className="danger" onClick={() => remove(false)} disabled={busy}>
            Delete connection
          </button>
        )}
        {list && list.length > 0 && (
          <button type="button" className="danger" onClick={() => remove(true)} disabled={busy}>
            Delete the connection and {one ? 'its deployment' : `its ${list.length} deployments`}
          </button>
        )}
        <button type="button" className="secondary" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

async function usersOfConnection(id: string): Promise<DeploymentRef[]> {
  const page = await api.listDeployments({ connection: id, limit: 1000 });
  return page.items.map((d) => ({ id: d.id, name: d.name }));
}
