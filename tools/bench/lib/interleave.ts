/**
 * Times several functions round-robin: one call of each per round, in a rotating order, and
 * reports each one's median. Noise on a shared machine (other tenants, one contender's garbage
 * collected during another's call, frequency changes) then lands on every contender alike
 * instead of on whoever happened to run during it, and the median drops the spikes.
 */
export interface InterleaveOptions {
  rounds: number;
  /** Untimed rounds first, so that every contender is optimised by the JIT before timing. */
  warmup: number;
}

export function interleave<K extends string>(tasks: Record<K, () => unknown>, { rounds, warmup }: InterleaveOptions): Record<K, number> {
  const names = Object.keys(tasks) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as K;
      const started = performance.now();
      tasks[name]();
      const elapsed = performance.now() - started;
      if (round >= warmup) samples.get(name)?.push(elapsed);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name) ?? [])])) as Record<K, number>;
}

/** interleave() for asynchronous contenders: each round awaits one call of each. */
export async function interleaveAsync<K extends string>(tasks: Record<K, () => Promise<unknown>>, { rounds, warmup }: InterleaveOptions): Promise<Record<K, number>> {
  const names = Object.keys(tasks) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as K;
      const started = performance.now();
      await tasks[name]();
      const elapsed = performance.now() - started;
      if (round >= warmup) samples.get(name)?.push(elapsed);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name) ?? [])])) as Record<K, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The p-th percentile (0–100) of samples, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
