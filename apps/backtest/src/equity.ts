/**
 * An equity curve cut to about `points` points for a chart, keeping what a reader looks for:
 * the first and last points, and in each of the evenly spaced buckets the highest equity, the
 * lowest equity and the deepest drawdown, in time order. The curve's peak, trough and maximum
 * drawdown therefore always survive.
 */
export function drawdowns(equity: readonly number[]): number[] {
  const out = new Array<number>(equity.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i] as number;
    if (e > peak) peak = e;
    out[i] = peak > 0 ? 1 - e / peak : 0;
  }
  return out;
}

/** The indexes to keep, ascending. */
export function downsampleIndexes(equity: readonly number[], drawdown: readonly number[], points: number): number[] {
  const n = equity.length;
  if (n <= points) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor((points - 2) / 3));
  const keep = new Set<number>([0, n - 1]);
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let hi = start;
    let lo = start;
    let deep = start;
    for (let i = start; i < end; i++) {
      if ((equity[i] as number) > (equity[hi] as number)) hi = i;
      if ((equity[i] as number) < (equity[lo] as number)) lo = i;
      if ((drawdown[i] as number) > (drawdown[deep] as number)) deep = i;
    }
    keep.add(hi).add(lo).add(deep);
  }
  return [...keep].sort((a, b) => a - b);
}
