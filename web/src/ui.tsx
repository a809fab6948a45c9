import { type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiFailure } from './api';
import { withoutParts } from './jobs';

export const navigate = (hash: string) => {
  window.location.hash = hash;
};

/** The current `#/...` route, split on '/'. */
const readRoute = () =>
  window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);

export function useRoute(): string[] {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const on = () => setRoute(readRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** An error's message in the UI's words (no internal `[storage]` part prefixes). */
export const message = (err: unknown) =>
  withoutParts(err instanceof ApiFailure ? err.message : err instanceof Error ? err.message : String(err));

/** A failure that a server restart or a network loss explains: worth trying again by itself. */
export const transient = (err: unknown) =>
  err instanceof ApiFailure && (err.status === 0 || err.status === 502 || err.status === 503);

/** The wait before the n-th try again (0-based): 0.5 s doubling to 5 s. */
export const backoff = (n: number) => Math.min(5000, 500 * 2 ** n);

/**
 * Loads data once (and again on `reload()`), with loading and error states. A network failure or a server
 * that is restarting is tried again by itself with backoff (`reconnecting` is true meanwhile), without a click.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], refresh?: (data: T) => boolean) {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean; reconnecting?: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const again = useRef(refresh);
  again.current = refresh;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true }));
    const attempt = (n: number) => {
      load().then(
        (data) => {
          if (!live) return;
          setState({ data, loading: false });
          // Something in it is still changing (a running job): read it again in a while.
          if (again.current?.(data)) timer = setTimeout(() => attempt(0), REFRESH_MS);
        },
        (err: unknown) => {
          if (!live) return;
          if (transient(err)) {
            setState((s) => ({ ...s, loading: !s.data, reconnecting: true }));
            timer = setTimeout(() => attempt(n + 1), backoff(n));
          } else setState({ error: message(err), loading: false });
        },
      );
    };
    attempt(0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

const REFRESH_MS = 3000;

/** A visible note while the page tries to reach the server again. */
export function Reconnecting({ what }: { what?: string }) {
  return (
    <p className="reconnecting" role="status" data-testid="reconnecting">
      <span className="spinner" aria-hidden="true" />
      <span>
        Reconnecting to the server… {what ? `The page will show ${what} ` : 'The page will go on '}by itself
        once it answers.
      </span>
    </p>
  );
}

/** Sets the document title to `<title> · keras-batch`. */
export function useTitle(title: string | null | undefined) {
  useEffect(() => {
    if (title) document.title = `${title} · keras-batch`;
  }, [title]);
}

/**
 * A table's horizontal scroll box: focusable so a keyboard can scroll it (axe scrollable-region-focusable),
 * named for screen readers, with a "scroll sideways" hint shown only when the table is wider than the box.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLElement>(null);
  const [wide, setWide] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setWide(el.scrollWidth > el.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(el);
    return () => observer.disconnect();
  });
  return (
    <div className="table-box">
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable) */}
      <section ref={ref} className="table-wrap" tabIndex={0} aria-label={label}>
        {children}
      </section>
      {wide && (
        <small className="scroll-hint" aria-hidden="true">
          Scroll sideways for more →
        </small>
      )}
    </div>
  );
}

export function Loading({ what, reconnecting }: { what: string; reconnecting?: boolean }) {
  if (reconnecting) return <Reconnecting what={what} />;
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, retry }: { error: string; retry?: () => void }) {
  return (
    <div className="alert error" role="alert">
      <span>{error}</span>
      {retry && (
        <button type="button" className="secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

const BADGE: Record<string, string> = {
  queued: 'neutral',
  running: 'info',
  completed: 'ok',
  failed: 'bad',
  canceled: 'neutral',
  online: 'ok',
};

/** A status badge; `state` (a job's state key) adds that state's symbol beside its colour (styles.css). */
export function Badge({ status, tone, state }: { status: string; tone?: string; state?: string }) {
  return (
    <span className={`badge ${tone ?? BADGE[status] ?? 'neutral'}`} data-state={state}>
      {status}
    </span>
  );
}

/** A labelled input with its error (aria-describedby, aria-invalid). */
export function Field(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  hint?: string;
  type?: string;
  placeholder?: string;
  autoComplete?: string;
  required?: boolean;
  multiline?: boolean;
}) {
  const id = useId();
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-err` : '']
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    value: props.value,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': described || undefined,
    required: props.required,
    placeholder: props.placeholder,
  };
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label}
        {props.required && <span className="req"> (required)</span>}
      </label>
      {props.multiline ? (
        <textarea {...common} rows={3} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input
          {...common}
          type={props.type ?? 'text'}
          autoComplete={props.autoComplete ?? 'off'}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
      {props.hint && (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={`${id}-err`} className="field-error">
          {props.error}
        </small>
      )}
    </div>
  );
}

export function Select(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: { value: string; label: string }[];
  error?: string;
  placeholder?: string;
  required?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label}
        {props.required && <span className="req"> (required)</span>}
      </label>
      <select
        id={id}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-err` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      >
        <option value="">{props.placeholder ?? 'Choose…'}</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {props.error && (
        <small id={`${id}-err`} className="field-error">
          {props.error}
        </small>
      )}
    </div>
  );
}

/** Accessible tabs (roving focus with the arrow keys). */
export function Tabs<K extends string>(props: {
  label: string;
  tabs: { key: K; label: string }[];
  active: K;
  onChange: (k: K) => void;
  children: ReactNode;
}) {
  const id = useId();
  const keys = props.tabs.map((t) => t.key);
  const move = (delta: number) => {
    const next = keys[(keys.indexOf(props.active) + delta + keys.length) % keys.length];
    props.onChange(next);
    document.getElementById(`${id}-tab-${next}`)?.focus();
  };
  return (
    <div>
      <div role="tablist" aria-label={props.label} className="tabs">
        {props.tabs.map((t) => (
          <button
            key={t.key}
            type="button"
            role="tab"
            id={`${id}-tab-${t.key}`}
            aria-selected={t.key === props.active}
            aria-controls={`${id}-panel`}
            tabIndex={t.key === props.active ? 0 : -1}
            onClick={() => props.onChange(t.key)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight') move(1);
              if (e.key === 'ArrowLeft') move(-1);
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`${id}-panel`}
        aria-labelledby={`${id}-tab-${props.active}`}
        className="tabpanel"
      >
        {props.children}
      </div>
    </div>
  );
}

/**
 * A progress bar; `value` null makes it indeterminate (no `aria-valuenow`): the total is not known yet, and a
 * fraction of what is known so far could only move backwards as more is found. `text` then says where things are.
 */
export function ProgressBar({
  value,
  label,
  text,
  tone,
  state,
}: {
  value: number | null;
  label: string;
  text?: string;
  tone?: string;
  /** A job's state key: its pattern on the bar (styles.css). */
  state?: string;
}) {
  const pct = value === null ? null : Math.max(0, Math.min(100, Math.floor(value * 1000) / 10));
  return (
    <div
      className={`progress${pct === null ? ' indeterminate' : ''}${tone ? ` ${tone}` : ''}`}
      role="progressbar"
      data-state={state}
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
      aria-valuetext={text ?? (pct === null ? undefined : `${pct}%`)}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

export const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

export const shape = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;

export const duration = (ms: number) => {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
};
