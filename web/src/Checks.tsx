/** The answers of the server's checks before saving a deployment, shown on the form. */
import type { ValidationResult } from '../../src/contract/client';
import { fmt } from './jobs';
import { duration } from './ui';

const MARK: Record<string, string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };
const WORD: Record<string, string> = { pass: 'passed', fail: 'failed', warn: 'warning', skip: 'not checked' };

export function CheckResults({ result, saved }: { result: ValidationResult; saved: boolean }) {
  return (
    <section
      className={`card checks ${result.ok ? 'ok' : 'bad'}`}
      aria-labelledby="checks-title"
      data-testid="checks"
    >
      <h3 id="checks-title">
        {result.ok
          ? saved
            ? 'Checks passed: saving'
            : 'Checks passed'
          : 'Not saved: the checks found a problem'}
      </h3>
      <ul className="check-list">
        {result.checks.map((c) => (
          <li key={c.id} className={`check ${c.verdict}`} data-check={c.id} data-verdict={c.verdict}>
            <span className="check-mark" aria-hidden="true">
              {MARK[c.verdict]}
            </span>
            <span>
              <strong>{c.label}</strong> <span className="visually-hidden">({WORD[c.verdict]})</span>
              <br />
              {c.message}
            </span>
          </li>
        ))}
      </ul>
      {result.inputs && result.inputs.count > 0 && (
        <p className="muted">
          {fmt(result.inputs.count)}
          {result.inputs.complete ? '' : '+'} input file(s)
          {result.estimate
            ? `; the whole job: ${result.estimate.seconds < 1 ? 'under a second' : `about ${duration(result.estimate.seconds * 1000)}`} (estimate)`
            : ''}
          .
        </p>
      )}
      {result.sample && (
        <figure className="preview">
          <figcaption>
            Predicted output of <span className="mono">{result.sample.key}</span> (dry run: nothing written)
          </figcaption>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable) */}
          <pre tabIndex={0} data-testid="sample-output">
            {result.sample.text.slice(0, 1500)}
          </pre>
        </figure>
      )}
    </section>
  );
}
