/** The suites of `npm run bench`, in run order. A new suite goes in its own file and is listed here. */

import type { Suite } from '../lib/suite.js';
import { onlineSuite } from '../online.js';
import { applicationsSuite } from './applications.js';
import { batchSuite } from './batch.js';
import { distributedSuite } from './distributed.js';
import { engineSuite } from './engine.js';
import { formatsSuite } from './formats.js';
import { graphSuite } from './graph.js';
import { loadSuite } from './load.js';
import { soakSuite } from './soak.js';
import { threadsSuite } from './threads.js';

export const SUITES: Suite[] = [
  loadSuite,
  engineSuite,
  applicationsSuite,
  batchSuite,
  formatsSuite,
  graphSuite,
  threadsSuite,
  onlineSuite,
  distributedSuite,
  soakSuite,
];
