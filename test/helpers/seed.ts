import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The code block that follows `marker` in the seed document, as written there. */
function blockAfter(doc: string, marker: string): string {
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`seed document has no "${marker}"`);
  const open = doc.indexOf('```', at);
  const start = doc.indexOf('\n', open) + 1;
  const close = doc.indexOf('```', start);
  return doc.slice(start, close).replace(/\s+$/, '\n');
}

/** The seed's input preview (`img1.json`) and output preview, exactly as the document shows them. */
export function seedExamples(shared: string): { input: string; output: string } {
  const doc = readFileSync(join(shared, 'seed', 'wml-keras-batch-deployment.md'), 'utf8');
  const input = blockAfter(doc, 'Input data file preview')
    .split('\n')
    .map((line) => line.replace(/^ {3}/, ''))
    .join('\n');
  return { input, output: blockAfter(doc, 'Output file preview') };
}
