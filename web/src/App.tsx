import { type FormEvent, type ReactElement, useEffect, useRef, useState } from 'react';
import { ApiFailure, api, apiWithKey, can, session, setUnauthorizedHandler } from './api';
import { ConnectionsPage } from './ConnectionsPage';
import { DeploymentPage } from './DeploymentPage';
import { JobPage } from './JobPage';
import { JobsPage } from './JobsPage';
import { ModelPage } from './ModelPage';
import { ModelsPage } from './ModelsPage';
import { ErrorBox, Field, navigate, useRoute, useTitle } from './ui';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useTitle('Sign in');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!key.trim()) {
      setError(
        'Enter an API key. `keras-batch serve` prints one on first start; `keras-batch apikey create` makes more.',
      );
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const who = await apiWithKey(key.trim()).me();
      session.set(key.trim());
      session.setWho(who);
      onSignedIn();
    } catch (err) {
      setError(
        err instanceof ApiFailure && err.status === 401
          ? 'This API key is not valid. Check it, or create one with `keras-batch apikey create`.'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin" id="main">
      <form onSubmit={submit} className="card" aria-labelledby="signin-title" noValidate>
        <h1 id="signin-title">Sign in to keras-batch</h1>
        <p>Deploy Keras models and score them in batch or online.</p>
        <Field
          label="API key"
          type="password"
          value={key}
          onChange={setKey}
          autoComplete="current-password"
          hint="Kept in this browser tab only (session storage); never put in the address bar."
          error={error}
          required
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

/**
 * After a navigation, moves the focus to the new page's main heading (once the page has drawn it), so a
 * keyboard or screen-reader user starts at the top of the new page instead of on the body.
 */
function useFocusHeading(routeKey: string) {
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs again on each navigation (routeKey)
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const main = document.getElementById('main');
    if (!main) return;
    const focus = () => {
      const h1 = main.querySelector('h1');
      if (!h1) return false;
      h1.tabIndex = -1;
      h1.focus({ preventScroll: false });
      return true;
    };
    if (focus()) return;
    const observer = new MutationObserver(() => {
      if (focus()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), 10_000);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [routeKey]);
}

const PAGE_TITLES: Record<string, string> = { models: 'Models', connections: 'Connections' };

export function App() {
  const [signedIn, setSignedIn] = useState(() => Boolean(session.get()));
  const [who, setWho] = useState(() => session.who());
  const route = useRoute();
  useFocusHeading(route.slice(0, 2).join('/'));
  // Pages with a name of their own (a model, a job) set a better title once loaded.
  useTitle(PAGE_TITLES[route[0] ?? 'models'] && !route[1] ? PAGE_TITLES[route[0] ?? 'models'] : null);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      session.clear();
      setSignedIn(false);
    });
  }, []);
  useEffect(() => {
    // A session signed in before roles existed: ask who the key is once.
    if (!signedIn || who) return;
    api
      .me()
      .then((w) => {
        session.setWho(w);
        setWho(w);
      })
      .catch(() => undefined);
  }, [signedIn, who]);
  if (!signedIn)
    return (
      <SignIn
        onSignedIn={() => {
          setWho(session.who());
          setSignedIn(true);
        }}
      />
    );
  const [section, id, sub] = route;
  let page: ReactElement;
  if (section === 'models' && id) page = <ModelPage id={id} tab={sub} />;
  else if (section === 'connections') page = <ConnectionsPage />;
  else if (section === 'jobs' && id) page = <JobPage id={id} />;
  else if (section === 'jobs') page = <JobsPage />;
  else if (section === 'deployments' && id) page = <DeploymentPage id={id} />;
  else if (!section || section === 'models') page = <ModelsPage />;
  else
    page = <ErrorBox error={`There is no page "${route.join('/')}".`} retry={() => navigate('#/models')} />;
  const current = section === 'connections' ? 'connections' : section === 'jobs' ? 'jobs' : 'models';
  return (
    <>
      <button
        type="button"
        className="skip-link"
        onClick={() => document.getElementById('main')?.focus()} // the hash is the route: focus, not a link
      >
        Skip to content
      </button>
      <header className="top">
        <a className="brand" href="#/models">
          keras-batch
        </a>
        <nav aria-label="Main">
          <a href="#/models" aria-current={current === 'models' ? 'page' : undefined}>
            Models
          </a>
          <a href="#/jobs" aria-current={current === 'jobs' ? 'page' : undefined}>
            Jobs
          </a>
          {can('viewer') && (
            <a href="#/connections" aria-current={current === 'connections' ? 'page' : undefined}>
              Connections
            </a>
          )}
        </nav>
        {who && (
          <span className="who" title="the API key you signed in with, and its role">
            {who.name} · {who.role}
          </span>
        )}
        <button
          type="button"
          className="secondary small"
          onClick={() => {
            session.clear();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
