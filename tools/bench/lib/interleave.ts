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

/** The calls of a run in order: each round every contender once, starting one further along. */
function* schedule<K extends string>(names: readonly K[], { rounds, warmup }: InterleaveOptions): Generator<{ name: K; timed: boolean }> {
  for (let round = 0; round < warmup + rounds; round++) {
    for (let k = 0; k < names.length; k++) yield { name: names[(round + k) % names.length] as K, timed: round >= warmup };
  }
}

function medians<K extends string>(samples: Map<K, number[]>): Record<K, number> {
  return Object.fromEntries([...samples].map(([name, values]) => [name, median(values)])) as Record<K, number>;
}

export function interleave<K extends string>(tasks: Record<K, () => unknown>, options: InterleaveOptions): Record<K, number> {
  const names = Object.keys(tasks) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (const { name, timed } of schedule(names, options)) {
    const started = performance.now();
    tasks[name]();
    if (timed) samples.get(name)?.push(performance.now() - started);
  }
  return medians(samples);
}

/** interleave() for asynchronous contenders: each call is awaited before the next starts. */
export async function interleaveAsync<K extends string>(tasks: Record<K, () => Promise<unknown>>, options: InterleaveOptions): Promise<Record<K, number>> {
  const names = Object.keys(tasks) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (const { name, timed } of schedule(names, options)) {
    const started = performance.now();
    await tasks[name]();
    if (timed) samples.get(name)?.push(performance.now() - started);
  }
  return medians(samples);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  // An even count has two middle values: their mean, not the upper one (which biases 4 rounds up).
  if (sorted.length % 2 === 0 && sorted.length > 0) return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return sorted[middle] ?? Number.NaN;
}

/** The p-th percentile (0–100) of samples, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * A 95 % confidence interval for the median of `values`, from order statistics, so without any
 * assumption about their distribution: the j-th smallest and the j-th largest value, for the
 * largest j such that fewer than j of the values fall below the true median with a chance of at
 * most 2.5 % (that count is binomial, n and ½). Undefined for fewer than 6 values, where even
 * the smallest and the largest bound the median with less confidence.
 */
export function medianInterval(values: readonly number[]): [number, number] | undefined {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  // Adds up P(count = j) = C(n, j) / 2^n for j = 0, 1, …, each term from the last, in logs so
  // that large n stays finite, until the chance of fewer than j + 1 exceeds 2.5 %.
  let logTerm = -n * Math.LN2;
  let below = 0;
  let j = 0;
  while (j < n) {
    below += Math.exp(logTerm);
    if (below > 0.025) break;
    j++;
    logTerm += Math.log((n - j + 1) / j);
  }
  if (j === 0) return undefined;
  return [sorted[j - 1] as number, sorted[n - j] as number];
}
