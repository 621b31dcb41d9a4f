import { readdirSync, readFileSync } from 'node:fs';

/** Which part of the stack a process is, from its command line (or pid); undefined for everything else. */
export type Classifier = (cmdline: string, pid: string) => string | undefined;

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) in a /proc stat file, of a process or of one of its threads. */
function cpuSeconds(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds used so far per group of processes, from /proc (Linux). Diff two snapshots to see
 * where a phase of a benchmark spent the machine's cores. With `mainThread`, each group also gets
 * a `<group>:main` entry: the part of it its processes' main threads used (the rest is V8's
 * compiler and garbage-collector threads, libuv's pool and worker threads).
 */
export function cpuSnapshot(classify: Classifier, { mainThread = false } = {}): Map<string, number> {
  const totals = new Map<string, number>();
  const add = (group: string, seconds: number) => totals.set(group, (totals.get(group) ?? 0) + seconds);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const group = classify(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '), pid);
      if (!group) continue;
      add(group, cpuSeconds(`/proc/${pid}/stat`));
      if (mainThread) add(`${group}:main`, cpuSeconds(`/proc/${pid}/task/${pid}/stat`));
    } catch {
      // The process ended between listing and reading.
    }
  }
  return totals;
}

export function cpuDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [group, seconds] of after) out[group] = Math.round((seconds - (before.get(group) ?? 0)) * 100) / 100;
  return out;
}
