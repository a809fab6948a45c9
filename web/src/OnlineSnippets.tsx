import { useState } from 'react';

/** The environment variable the snippets read the API key from: the real key is never written into the page. */
export const KEY_VARIABLE = 'KERAS_BATCH_API_KEY';

/** The absolute URL that scores records online with a deployment. */
export const scoringUrl = (deploymentId: string) =>
  `${window.location.origin}/api/v1/deployments/${encodeURIComponent(deploymentId)}/online`;

export const curlSnippet = (url: string) =>
  [
    `curl -X POST '${url}' \\`,
    `  -H "Authorization: Bearer $${KEY_VARIABLE}" \\`,
    `  -H 'Content-Type: application/json' \\`,
    '  --data @input.json',
  ].join('\n');

export const pythonSnippet = (url: string) =>
  [
    'import json, os, requests',
    '',
    'response = requests.post(',
    `    "${url}",`,
    `    headers={"Authorization": f"Bearer {os.environ['${KEY_VARIABLE}']}"},`,
    '    json=json.load(open("input.json")),',
    ')',
    'response.raise_for_status()',
    'print(response.json())',
  ].join('\n');

/** A block of text with a Copy button; the outcome of the copy is announced politely. */
function Copyable({ id, label, text }: { id: string; label: string; text: string }) {
  const [copied, setCopied] = useState<string>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied.');
    } catch {
      setCopied('Could not copy: select the text and copy it by hand.');
    }
  };
  return (
    <div className="snippet">
      <div className="snippet-head">
        <span id={`${id}-label`}>{label}</span>
        <button type="button" className="secondary small" onClick={copy} aria-describedby={`${id}-label`}>
          Copy<span className="visually-hidden"> {label}</span>
        </button>
        <span role="status" className="hint">
          {copied}
        </span>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable) */}
      <pre tabIndex={0} data-testid={id}>
        {text}
      </pre>
    </div>
  );
}

/** The scoring URL, and curl and Python (requests) calls of it, each with a Copy button. */
export function OnlineSnippets({ deploymentId }: { deploymentId: string }) {
  const url = scoringUrl(deploymentId);
  return (
    <div className="snippets">
      <h3>Call it from a program</h3>
      <p className="hint">
        The key is read from the <code>{KEY_VARIABLE}</code> environment variable; <code>input.json</code>{' '}
        holds a seed-format input (<code>{'{"values": ...}'}</code>).
      </p>
      <Copyable id="scoring-url" label="Scoring URL" text={url} />
      <Copyable id="curl-snippet" label="curl" text={curlSnippet(url)} />
      <Copyable id="python-snippet" label="Python (requests)" text={pythonSnippet(url)} />
    </div>
  );
}
