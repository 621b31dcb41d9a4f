import { readdirSync, readFileSync } from 'node:fs';

/** Which part of the stack a process is, from its command line (or pid); undefined for everything else. */
export type Classifier = (cmdline: string, pid: string) => string | undefined;

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds used so far per group of processes, from /proc (Linux). Diff two snapshots to see
 * where a phase of a benchmark spent the machine's cores.
 */
export function cpuSnapshot(classify: Classifier): Map<string, number> {
  const totals = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const group = classify(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '), pid);
      if (!group) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      totals.set(group, (totals.get(group) ?? 0) + ticks / TICKS_PER_SECOND);
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
