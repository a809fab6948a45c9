import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Servers and workers the tests start run as they are (no MALLOC_ARENA_MAX relaunch, src/cli/arena-relaunch.ts),
    // so a test's SIGKILL and /proc readings reach the server itself; test/cli/arena-relaunch.slow.test.ts
    // tests the relaunch.
    env: { MALLOC_ARENA_MAX: '2' },
    reporters: ['default', './test/helpers/plain-summary-reporter.ts'],
  },
});
