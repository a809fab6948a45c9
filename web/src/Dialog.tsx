import { type ReactNode, useEffect, useId, useRef } from 'react';

/** A deployment as a user knows it. */
export interface DeploymentRef {
  id: string;
  name: string;
}

/**
 * A modal dialog (the native `<dialog>`: focus moves into it and stays there, Escape closes it, focus goes
 * back to the button that opened it). Render it only while open.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    if (d && !d.open) d.showModal();
    return () => opener?.focus?.();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      data-testid={props.testId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** The deployments something is used by, each a link to its page. */
export function DeploymentLinks({ items }: { items: DeploymentRef[] }) {
  return (
    <ul className="users" data-testid="users">
      {items.map((d) => (
        <li key={d.id}>
          <a href={`#/deployments/${encodeURIComponent(d.id)}`}>{d.name}</a>
        </li>
      ))}
    </ul>
  );
}

/** The choice of what happens to deleted deployments' job records, explained. */
export function JobRecordsChoice({
  value,
  onChange,
  many,
}: {
  value: 'delete' | 'keep';
  onChange: (v: 'delete' | 'keep') => void;
  many?: boolean;
}) {
  const their = many ? 'their' : 'its';
  return (
    <fieldset className="choice">
      <legend>{many ? 'Their' : 'Its'} job records</legend>
      <label>
        <input type="radio" name="jobs" checked={value === 'delete'} onChange={() => onChange('delete')} />{' '}
        Delete {their} job records too (history, counts, failure reasons)
      </label>
      <label>
        <input type="radio" name="jobs" checked={value === 'keep'} onChange={() => onChange('keep')} /> Keep{' '}
        {their} job records: {their} jobs stay readable (their links keep working)
      </label>
      <p className="hint">
        The predictions {their} jobs wrote to the target are never deleted, whichever you choose.
      </p>
    </fieldset>
  );
}

/** A confirmation: what will happen in `children`, a way out ("Keep as it is") and the action. */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      <div className="dialog-body">{props.children}</div>
      <div className="buttons">
        <button type="button" className="secondary" onClick={props.onCancel}>
          Keep as it is
        </button>
        <button
          type="button"
          className={props.danger ? 'danger' : undefined}
          disabled={props.busy}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
