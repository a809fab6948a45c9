import { followParent, relaunch, shouldRelaunch } from './arena-relaunch.js';

/** `serve` and `worker` relaunch themselves with MALLOC_ARENA_MAX=2 (arena-relaunch.ts); the wrapper loads nothing else. */
async function start(): Promise<number> {
  if (shouldRelaunch(process.argv, process.env)) return relaunch(process.argv);
  followParent(process.env);
  const { main } = await import('./main.js');
  return main(process.argv);
}

start().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
