/**
 * A long-only portfolio held at fixed weights: bought at the first close, marked at every close,
 * and traded back to the weights at the close of the first bar of each new month or quarter
 * (UTC calendar). No fees; cash is always fully invested.
 */
export type RebalancePeriod = 'monthly' | 'quarterly';

function periodOf(ms: number, period: RebalancePeriod): number {
  const date = new Date(ms);
  const month = date.getUTCFullYear() * 12 + date.getUTCMonth();
  return period === 'monthly' ? month : Math.floor(month / 3);
}

/** Equity at every close; `closes[i]` are asset i's closes on the shared timestamps `ts`. */
export function rebalancedEquity(ts: ArrayLike<number>, closes: readonly ArrayLike<number>[], weights: ArrayLike<number>, period: RebalancePeriod, capital = 1): Float64Array {
  const n = ts.length;
  const assets = closes.length;
  if (weights.length !== assets) throw new RangeError(`${weights.length} weights for ${assets} assets`);
  for (const series of closes) if (series.length !== n) throw new RangeError('every asset needs a close at every timestamp');
  const equity = new Float64Array(n);
  const units = new Float64Array(assets);
  const buy = (t: number, value: number) => {
    for (let a = 0; a < assets; a++) units[a] = (value * (weights[a] as number)) / ((closes[a] as ArrayLike<number>)[t] as number);
  };
  if (n === 0) return equity;
  buy(0, capital);
  equity[0] = capital;
  let current = periodOf(ts[0] as number, period);
  for (let t = 1; t < n; t++) {
    let value = 0;
    for (let a = 0; a < assets; a++) value += (units[a] as number) * ((closes[a] as ArrayLike<number>)[t] as number);
    equity[t] = value;
    const p = periodOf(ts[t] as number, period);
    if (p !== current) {
      buy(t, value);
      current = p;
    }
  }
  return equity;
}
