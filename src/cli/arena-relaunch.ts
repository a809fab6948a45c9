import { spawn } from 'node:child_process';

/** The commands that run for hours (a server, a worker): those relaunched with a bounded malloc arena count. */
const LONG_RUNNING = new Set(['serve', 'worker']);
const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const;

/** Whether this process runs on glibc (whose malloc gives each thread an arena of its own). */
function onGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return Boolean(report?.header?.glibcVersionRuntime);
}

/** The command word of `argv` (the first argument that is not an option). */
const commandOf = (argv: string[]): string | undefined => argv.slice(2).find((a) => !a.startsWith('-'));

/**
 * Whether `serve`/`worker` should run again as a child with `MALLOC_ARENA_MAX=2`: on glibc, when the variable is
 * unset (glibc reads it only at start) and `KERAS_BATCH_RELAUNCH` is not `0`. Model threads and onnxruntime's
 * threads each get a malloc arena of their own that keeps the memory they freed: a server under load grew
 * 12 MiB/min without the variable and stayed flat with it (docs/limits.md).
 */
export function shouldRelaunch(argv: string[], env: NodeJS.ProcessEnv): boolean {
  if (env.MALLOC_ARENA_MAX !== undefined || env.KERAS_BATCH_RELAUNCH === '0') return false;
  if (env.KERAS_BATCH_RELAUNCHED === '1') return false;
  const command = commandOf(argv);
  return command !== undefined && LONG_RUNNING.has(command) && onGlibc();
}

/**
 * Runs this same command in a child process with `MALLOC_ARENA_MAX=2` and resolves with its exit code. The
 * child shares stdin/stdout/stderr; SIGTERM, SIGHUP, SIGQUIT and SIGUSR2 are passed on, and SIGINT too unless
 * stdin is a terminal (Ctrl-C already reaches the child there). If this process dies (even by SIGKILL) the
 * child sees its channel close and kills itself the same way, so a supervisor's kill never leaves it running.
 */
export function relaunch(argv: string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, MALLOC_ARENA_MAX: '2', KERAS_BATCH_RELAUNCHED: '1' },
  });
  const signals: NodeJS.Signals[] = [...FORWARDED];
  if (!process.stdin.isTTY) signals.push('SIGINT');
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of signals) process.on(s, forward);
  if (process.stdin.isTTY) process.on('SIGINT', () => undefined);
  return new Promise<number>((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(
        `error: cannot start ${argv[1]} again with MALLOC_ARENA_MAX=2: ${error.message}\n`,
      );
      resolve(2);
    });
    child.once('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      if (signal) {
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }
      resolve(code ?? 1);
    });
  });
}

/** In a relaunched child: die with the parent (its channel closes when it exits or is killed). */
export function followParent(env: NodeJS.ProcessEnv): void {
  if (env.KERAS_BATCH_RELAUNCHED !== '1' || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
