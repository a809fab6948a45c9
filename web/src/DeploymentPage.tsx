import { useEffect, useRef, useState } from 'react';
import { api, can, type Scored, type Version } from './api';
import { DeploymentActions } from './DeploymentActions';
import { formatSummary } from './format-form';
import { fmt, jobState } from './jobs';
import { deploymentStatus } from './ModelPage';
import { OnlineSnippets } from './OnlineSnippets';
import { Badge, ErrorBox, Loading, message, Reconnecting, useLoad, useTitle } from './ui';
import { parseOnlineInput } from './validate';

export function DeploymentPage({ id }: { id: string }) {
  const dep = useLoad(
    async () => {
      const d = await api.getDeployment(id);
      const [model, jobs] = await Promise.all([
        api.getModel(d.model_id),
        d.type === 'batch' ? api.listJobs({ limit: 20, deployment: d.id }) : Promise.resolve(null),
      ]);
      return { d, model, jobs };
    },
    [id],
    (data) => Boolean(data.jobs?.items.some((j) => !jobState(j).final)),
  );
  useTitle(dep.data?.d.name);
  if (dep.loading && !dep.data) return <Loading what="the deployment" reconnecting={dep.reconnecting} />;
  if (dep.error || !dep.data) return <ErrorBox error={dep.error ?? 'not found'} retry={dep.reload} />;
  const { d, model, jobs } = dep.data;
  const version = model.versions?.find((v) => v.version === d.model_version);
  return (
    <div className="page">
      <p className="crumbs">
        <a href="#/models">Models</a> /{' '}
        <a href={`#/models/${encodeURIComponent(model.id)}/deployments`}>{model.name}</a> / {d.name}
      </p>
      <h1>
        {d.name} <Badge {...deploymentStatus(d)} />
      </h1>
      {d.description && <p className="muted">{d.description}</p>}
      <p data-testid="model-version">
        Model <a href={`#/models/${encodeURIComponent(model.id)}`}>{model.name}</a>, version {d.model_version}
        {d.model_version === model.latest_version
          ? ' (the latest)'
          : ` (the latest is version ${model.latest_version}: choose it with Edit)`}
      </p>
      {d.type === 'batch' && (
        <p data-testid="input-format">
          <strong>Inputs:</strong> {formatSummary(d.options)}
        </p>
      )}
      {can('editor') && <DeploymentActions deployment={d} model={model} onChanged={dep.reload} />}
      {dep.reconnecting && <Reconnecting what="the jobs" />}
      {jobs && (
        <section className="card" aria-labelledby="jobs-title">
          <h2 id="jobs-title">Jobs</h2>
          <ul className="keys">
            {jobs.items.map((j) => (
              <li key={j.id}>
                <a href={`#/jobs/${encodeURIComponent(j.id)}`}>{new Date(j.created_at).toLocaleString()}</a>{' '}
                <Badge status={jobState(j).label} tone={jobState(j).tone} state={jobState(j).key} />{' '}
                {fmt(j.counts.scored + j.counts.skipped)} of {fmt(j.counts.total)} scored,{' '}
                {fmt(j.counts.failed)} failed
              </li>
            ))}
          </ul>
        </section>
      )}
      {version && can('scorer') && <OnlineScoring deploymentId={d.id} version={version} />}
    </div>
  );
}

const is28x28x1 = (v: Version) => {
  const s = v.inputs.length === 1 ? v.inputs[0].shape : [];
  return s.length === 4 && s[1] === 28 && s[2] === 28 && s[3] === 1;
};

export function OnlineScoring({ deploymentId, version }: { deploymentId: string; version: Version }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<{ output: Scored; text: string; ms: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const drawable = is28x28x1(version);
  const score = async (input: string) => {
    const parsed = parseOnlineInput(input);
    setResult(null);
    setNote('');
    if ('error' in parsed) return setError(parsed.error);
    setError(undefined);
    setBusy(true);
    try {
      const started = performance.now();
      const { output, text } = await api.scoreOnlineText(deploymentId, parsed);
      setResult({ output, text, ms: Math.round(performance.now() - started) });
    } catch (err) {
      setError(`Not scored: ${message(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="online-title">
      <h2 id="online-title">Score online</h2>
      <div className="grid">
        <div>
          <label htmlFor="online-input">Seed-format input</label>
          <textarea
            id="online-input"
            className="mono"
            rows={8}
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder={'{"values": [[[[0.0], [0.0], ...]]]}'}
            aria-describedby="online-hint"
          />
          <small id="online-hint" className="hint">
            Paste a JSON input as in the seed ({'{"values": ...}'}), or upload a file.
          </small>
          <div className="buttons">
            <label className="button secondary" htmlFor="online-file">
              Upload a .json file
            </label>
            <input
              id="online-file"
              className="visually-hidden"
              type="file"
              accept=".json,application/json"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (f) setText(await f.text());
              }}
            />
            <button type="button" onClick={() => score(text)} disabled={busy}>
              {busy ? 'Scoring…' : 'Score'}
            </button>
          </div>
        </div>
        {drawable && (
          <DigitCanvas
            onScore={(values) => score(JSON.stringify({ values }))}
            onEmpty={() => {
              setResult(null);
              setError(undefined);
              setNote('Draw a digit first: the canvas is empty, so there is nothing to score.');
            }}
            busy={busy}
          />
        )}
      </div>
      <p role="status" aria-live="polite" className="hint" data-testid="online-note">
        {note}
      </p>
      {error && <ErrorBox error={error} />}
      {result && (
        <p data-testid="latency">
          Round trip: <strong>{fmt(result.ms)} ms</strong> (request sent to answer read, in this browser)
        </p>
      )}
      {result && <Result result={result.output} text={result.text} outputs={version.outputs} />}
      <OnlineSnippets deploymentId={deploymentId} />
    </section>
  );
}

function DigitCanvas({
  onScore,
  onEmpty,
  busy,
}: {
  onScore: (values: number[][][][]) => void;
  onEmpty: () => void;
  busy: boolean;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const clear = () => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, 280, 280);
  };
  useEffect(clear, []);
  const point = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const c = ref.current!;
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * 280, ((e.clientY - r.top) / r.height) * 280] as const;
  };
  const last = useRef<readonly [number, number] | null>(null);
  const draw = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!drawing.current) return;
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const [x, y] = point(e);
    const [x0, y0] = last.current ?? [x, y];
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x, y);
    ctx.stroke();
    last.current = [x, y];
  };
  const values = (): number[][][][] => {
    const ctx = ref.current!.getContext('2d')!;
    const data = ctx.getImageData(0, 0, 280, 280).data;
    const rows: number[][][] = [];
    for (let r = 0; r < 28; r += 1) {
      const row: number[][] = [];
      for (let c = 0; c < 28; c += 1) {
        let sum = 0;
        for (let y = 0; y < 10; y += 1)
          for (let x = 0; x < 10; x += 1) sum += data[((r * 10 + y) * 280 + c * 10 + x) * 4];
        row.push([Math.round((sum / 100 / 255) * 1000) / 1000]);
      }
      rows.push(row);
    }
    return [rows];
  };
  return (
    <div className="draw">
      <p id="draw-label">Or draw a digit (28×28, scaled to 0–1):</p>
      <canvas
        ref={ref}
        width={280}
        height={280}
        aria-labelledby="draw-label"
        role="img"
        onPointerDown={(e) => {
          drawing.current = true;
          last.current = null;
          e.currentTarget.setPointerCapture(e.pointerId);
          draw(e);
        }}
        onPointerMove={draw}
        onPointerUp={() => {
          drawing.current = false;
          last.current = null;
        }}
      />
      <div className="buttons">
        <button type="button" className="secondary" onClick={clear}>
          Clear
        </button>
        <button
          type="button"
          onClick={() => {
            const v = values();
            if (v.flat(3).every((x) => x === 0)) onEmpty();
            else onScore(v);
          }}
          disabled={busy}
        >
          Score the drawing
        </button>
      </div>
    </div>
  );
}

const flat = (v: unknown): number[] =>
  Array.isArray(v) ? v.flatMap(flat) : typeof v === 'number' ? [v] : [];

/** How one output reads: class probabilities (a softmax), one probability (a sigmoid), or plain numbers. */
export function outputKind(values: number[]): 'classes' | 'probability' | 'numbers' {
  const inUnit = values.length > 0 && values.every((v) => v >= 0 && v <= 1);
  if (values.length > 1 && inUnit && Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-3) return 'classes';
  if (values.length === 1 && inUnit) return 'probability';
  return 'numbers';
}

const decimals = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 6 });

function OutputView({
  name,
  prediction,
  classes,
  testId,
}: {
  name: string | null;
  prediction: unknown;
  classes: unknown;
  testId: boolean;
}) {
  const values = flat(prediction);
  const best = flat(classes);
  const kind = outputKind(values);
  const title = name ? `Output ${name}: ` : '';
  if (kind === 'probability')
    return (
      <p className="output-probability" data-kind="probability">
        {title}probability <strong>{(values[0] * 100).toFixed(1)}%</strong> (class {best[0] ?? '—'} at the 0.5
        threshold)
      </p>
    );
  if (kind === 'numbers')
    return (
      <p className="output-numbers" data-kind="numbers">
        {title}
        {values.length === 1 ? 'value' : 'values'}{' '}
        <strong className="mono">{values.map((v) => decimals.format(v)).join(', ')}</strong>
      </p>
    );
  return (
    <div data-kind="classes">
      <p>
        {title}predicted class{' '}
        <strong data-testid={testId ? 'predicted-class' : undefined}>{JSON.stringify(classes)}</strong>
      </p>
      <table className="bars">
        <caption className="visually-hidden">{name ? `${name}: ` : ''}probability of each class</caption>
        <thead className="visually-hidden">
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Probability</th>
          </tr>
        </thead>
        <tbody>
          {values.map((p, k) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: classes are indices
            <tr key={k} className={best.includes(k) ? 'best' : undefined}>
              <th scope="row">{k}</th>
              <td>
                <div className="bar" style={{ width: `${Math.max(0, Math.min(1, p)) * 100}%` }} />
                <span className="bar-value">{p.toFixed(4)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The scored records, each output drawn by what it holds (told from its values: the model file does not say
 * which activation made them): a softmax as a bar chart of its classes, a single value in 0..1 as a
 * probability, anything else (a regression) as numbers.
 */
function Result({ result, text, outputs }: { result: Scored; text: string; outputs: Version['outputs'] }) {
  const several = outputs.length > 1;
  return (
    <div className="result" aria-live="polite">
      {result.values.map((row, i) => {
        const [prediction, classes] = row;
        const perOutput = several && Array.isArray(prediction) && Array.isArray(classes);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: one result row per record, in order
          <figure key={i} className="chart">
            <figcaption>Record {i + 1}</figcaption>
            {perOutput ? (
              outputs.map((o, k) => (
                <OutputView
                  key={o.name}
                  name={o.name}
                  prediction={(prediction as unknown[])[k]}
                  classes={(classes as unknown[])[k]}
                  testId={k === 0}
                />
              ))
            ) : (
              <OutputView name={null} prediction={prediction} classes={classes} testId />
            )}
          </figure>
        );
      })}
      <details>
        <summary>The seed's JSON</summary>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable) */}
        <pre tabIndex={0} data-testid="seed-json">
          {text}
        </pre>
      </details>
    </div>
  );
}
