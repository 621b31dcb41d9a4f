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
  return Object.fromEntries(
    names.map((name) => {
      const sorted = (samples.get(name) ?? []).sort((a, b) => a - b);
      return [name, sorted[Math.floor(sorted.length / 2)] ?? Number.NaN];
    }),
  ) as Record<K, number>;
}
