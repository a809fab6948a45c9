// @vitest-environment happy-dom
/**
 * What the web UI says about a job, on its own: the state from the status, the message and the counts; the
 * furthest of two snapshots (the event stream and the job endpoint lag each other; a resumed job counts again
 * from 0); the bar's share; server messages in the UI's words; locale numbers and natural file order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../web/src/api';
import {
  barValue,
  fmt,
  furthest,
  jobState,
  naturalCompare,
  uiMessage,
  withoutParts,
} from '../../web/src/jobs';

const job = (over: Omit<Partial<Job>, 'counts'> & { counts?: Partial<Job['counts']> }): Job => ({
  id: 'j1',
  deployment_id: 'd1',
  status: 'running',
  wml_status: 'INITIALIZING',
  status_message: null,
  interrupted: false,
  attempts: 1,
  listing_done: true,
  progress: 0,
  created_at: '2026-12-04T20:00:00Z',
  started_at: '2026-12-04T20:00:01Z',
  finished_at: null,
  duration_ms: null,
  files_per_second: null,
  records_per_second: null,
  mode: 'all',
  rerun_of: null,
  history: [],
  ...over,
  counts: { total: 100, scored: 0, failed: 0, skipped: 0, records: 0, ...over.counts },
});

describe('job states in the UI', () => {
  it('tells completed from completed with failures, and stopped early from failed', () => {
    expect(jobState(job({ status: 'completed', counts: { scored: 100 } })).label).toBe('completed');
    const partly = jobState(job({ status: 'completed', counts: { scored: 97, failed: 3 } }));
    expect([partly.label, partly.tone]).toEqual(['completed with failures', 'warn']);
    const stopped = job({
      status: 'failed',
      status_message: '11 inputs failed, more than --max-failures 10',
    });
    expect(jobState(stopped).label).toBe('stopped early');
    expect(jobState(job({ status: 'failed', status_message: '[storage] no such folder' })).label).toBe(
      'failed',
    );
    expect(jobState(job({ status: 'canceled' })).tone).toBe('neutral');
  });

  it('gives every state its own words and its own symbol beside its colour (interrupted too)', () => {
    const states = [
      job({ status: 'queued' }),
      job({ status: 'queued', interrupted: true, status_message: 'interrupted by a server stop; resuming' }),
      job({ status: 'running' }),
      job({ status: 'completed', counts: { scored: 100 } }),
      job({ status: 'completed', counts: { scored: 97, failed: 3 } }),
      job({ status: 'failed', status_message: '[storage] no such folder' }),
      job({ status: 'failed', status_message: '11 inputs failed, more than --max-failures 10' }),
      job({ status: 'canceled' }),
    ].map(jobState);
    expect(states.map((s) => s.key)).toEqual([
      'queued',
      'interrupted',
      'running',
      'completed',
      'completed-with-failures',
      'failed',
      'stopped-early',
      'canceled',
    ]);
    expect(new Set(states.map((s) => s.label)).size).toBe(states.length);
    expect(states[1]).toMatchObject({ label: 'interrupted, resuming', tone: 'warn', final: false });
    // The look beside the colour: a symbol per state in styles.css (failed and stopped early are both red).
    const css = readFileSync(join(import.meta.dirname, '../../web/src/styles.css'), 'utf8');
    const symbols = states.map((s) => {
      const rule = new RegExp(`\\.badge\\[data-state="${s.key}"\\]::before \\{\\s*content: "([^"]+)"`).exec(
        css,
      );
      expect(rule, `no symbol for ${s.key}`).not.toBeNull();
      return rule?.[1];
    });
    expect(new Set(symbols).size).toBe(states.length);
    for (const key of ['stopped-early', 'completed-with-failures', 'canceled'])
      expect(css).toContain(`.progress[data-state="${key}"] .progress-fill {`);
  });

  it('words the stop-early reason for the UI, with the total failures of the tiles', () => {
    const j = job({ status: 'failed', counts: { failed: 300, scored: 5 } });
    expect(uiMessage('11 inputs failed, more than --max-failures 10', j)).toBe(
      `Stopped early: more than 10 inputs failed, the deployment's "Max failures" limit. 300 inputs failed in all.`,
    );
    expect(uiMessage('12 of 150 inputs failed (8.0%), more than --max-failures 5%', j)).toBe(
      `Stopped early: more than 5% of the inputs failed, the deployment's "Max failures" limit. 300 inputs failed in all.`,
    );
    expect(uiMessage('[storage] folder /x does not exist')).toBe('Folder /x does not exist');
    expect(withoutParts('job failed: [batch] bad input [0]')).toBe('job failed: bad input [0]');
  });

  it('keeps the furthest counts: a lagging endpoint or a resumed attempt never moves them back', () => {
    const ahead = job({ counts: { scored: 500, total: 1000 }, listing_done: true });
    const behind = job({ counts: { scored: 300, total: 900 }, listing_done: false, files_per_second: 50 });
    const merged = furthest(ahead, behind);
    expect(merged.counts.scored).toBe(500);
    expect(merged.counts.total).toBe(1000);
    expect(merged.listing_done).toBe(true);
    expect(merged.files_per_second).toBe(50);
    const resumed = job({ attempts: 2, counts: { scored: 0, skipped: 200, total: 1000 } });
    expect(furthest(ahead, resumed).counts.scored).toBe(500);
    expect(furthest(ahead, job({ counts: { scored: 600, total: 1000 } })).counts.scored).toBe(600);
    const final = job({ status: 'completed', counts: { scored: 0, skipped: 1000, total: 1000 } });
    expect(furthest(ahead, final)).toBe(final);
    expect(furthest(final, ahead)).toBe(final); // a late running event after the end
  });

  it('fills the bar with the share done, never 100% for a job that stopped or whose total is unknown', () => {
    expect(barValue(job({ status: 'completed', counts: { scored: 100 } }))).toBe(1);
    expect(barValue(job({ status: 'canceled', counts: { scored: 25 } }))).toBe(0.25);
    expect(barValue(job({ status: 'canceled', listing_done: false, counts: { total: 0 } }))).toBeNull();
    expect(barValue(job({ listing_done: false, counts: { scored: 10, total: 20 } }))).toBeNull();
    expect(barValue(job({ counts: { scored: 10, skipped: 5, failed: 5, total: 40 } }))).toBe(0.5);
  });

  it('formats numbers by locale and sorts file names naturally', () => {
    expect(fmt(30000)).toBe((30000).toLocaleString());
    expect(['img10.json', 'img2.json', 'img1.json'].sort(naturalCompare)).toEqual([
      'img1.json',
      'img2.json',
      'img10.json',
    ]);
  });
});
