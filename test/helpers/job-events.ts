/**
 * Reads a job's server-sent events (`GET /api/v1/jobs/{id}/events`) the way the web UI does, until the server
 * ends the stream (the job is final).
 */
import type { JobView } from '../../src/service/index.js';

/** Every `job` event of the stream, in order; resolves when the stream ends. */
export async function readJobEvents(server: { url: string }, key: string, jobId: string): Promise<JobView[]> {
  const res = await fetch(`${server.url}/api/v1/jobs/${jobId}/events`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (res.status !== 200 || !res.body) throw new Error(`events: HTTP ${res.status}`);
  expectEventStream(res.headers.get('content-type'));
  const events: JobView[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const data = lines.find((l) => l.startsWith('data: '));
      if (lines.includes('event: job') && data) events.push(JSON.parse(data.slice(6)) as JobView);
      end = buffer.indexOf('\n\n');
    }
  }
  return events;
}

function expectEventStream(type: string | null): void {
  if (!type?.startsWith('text/event-stream')) throw new Error(`events: content-type ${type}`);
}
