/** A process's resident memory and open file descriptors, read from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory (VmRSS) of a process, in MiB; 0 once it is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every `ms` until stopped; `max` is the highest seen. */
export function sampleRss(pid: number, ms = 100): { stop(): { max: number; samples: number } } {
  let max = rssMiB(pid);
  let samples = 1;
  const timer = setInterval(() => {
    max = Math.max(max, rssMiB(pid));
    samples += 1;
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      return { max, samples };
    },
  };
}
