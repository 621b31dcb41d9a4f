/**
 * Performance metrics with empyrical's definitions. r are the N per-bar simple returns of the
 * equity curve, the first measured from the starting capital; A = bars per year.
 * - total return = V_N / V_0 − 1; CAGR = (V_N / V_0)^(A/N) − 1
 * - annual volatility = std(r, ddof = 1) · √A
 * - Sharpe = mean(r − r_f) / std(r − r_f, ddof = 1) · √A, r_f = annual rate / A
 * - Sortino = mean(r − r_f) · √A / √(mean(min(r − r_f, 0)²)) — downside deviation over all N bars
 * - max drawdown: the largest fall from a running peak, starting capital included, as a positive
 *   fraction; its duration is the longest stretch of bars spent below a previous peak
 * - Calmar = CAGR / max drawdown
 * - win rate = winning closed trades / closed trades (break-even trades count, and do not win)
 * - profit factor = gross profit / gross loss; expectancy = mean closed-trade pnl
 * - SQN = √n · mean(pnl) / std(pnl, ddof = 1); exposure = share of bars holding a position
 * Undefined values (σ = 0, no trades, no losses) are null, never ±Infinity or NaN.
 */
import { finiteOrNull } from '../series.js';

export interface ClosedTrade {
  pnl: number;
}

export interface Metrics {
  totalReturn: number | null;
  cagr: number | null;
  annualVolatility: number | null;
  sharpe: number | null;
  sortino: number | null;
  maxDrawdown: number;
  maxDrawdownBars: number;
  calmar: number | null;
  winRate: number | null;
  profitFactor: number | null;
  expectancy: number | null;
  sqn: number | null;
  exposure: number | null;
  tradeCount: number;
  barsPerYear: number;
}

export interface MetricInputs {
  capital: number;
  equity: Float64Array;
  trades: readonly ClosedTrade[];
  barsInMarket: number;
  barsPerYear: number;
  riskFree?: number;
}

/**
 * Per-bar statistics gathered in one pass while the equity curve is built: sums of excess
 * returns and their squares (per-bar returns are small, so Σr² − (Σr)²/n loses nothing that
 * matters and avoids a division per bar), downside squares, and the running peak for drawdowns.
 */
export class ReturnStats {
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private downsideSquares = 0;
  private peak: number;
  private prevEquity: number;
  private below = 0;
  maxDrawdown = 0;
  maxDrawdownBars = 0;

  constructor(
    private readonly capital: number,
    private readonly riskFreePerBar: number,
  ) {
    this.peak = capital;
    this.prevEquity = capital;
  }

  /** Adds the equity at one close and returns that bar's simple return. */
  push(equity: number): number {
    const r = this.prevEquity === 0 ? 0 : equity / this.prevEquity - 1;
    this.prevEquity = equity;
    const excess = r - this.riskFreePerBar;
    this.count++;
    this.sum += excess;
    this.sumSq += excess * excess;
    if (excess < 0) this.downsideSquares += excess * excess;
    if (equity >= this.peak) {
      this.peak = equity;
      this.below = 0;
    } else {
      const dd = 1 - equity / this.peak;
      if (dd > this.maxDrawdown) this.maxDrawdown = dd;
      if (++this.below > this.maxDrawdownBars) this.maxDrawdownBars = this.below;
    }
    return r;
  }

  finish(trades: readonly ClosedTrade[], barsInMarket: number, barsPerYear: number): Metrics {
    const n = this.count;
    const a = barsPerYear;
    const growth = this.prevEquity / this.capital;
    const mean = this.sum / n;
    const sigma = n > 1 ? Math.sqrt(Math.max(0, this.sumSq - this.sum * mean) / (n - 1)) : Number.NaN;
    const downside = Math.sqrt(this.downsideSquares / n);
    const cagr = n === 0 ? Number.NaN : growth <= 0 ? -1 : growth ** (a / n) - 1;
    const maxDrawdown = this.maxDrawdown;
    return {
      totalReturn: finiteOrNull(growth - 1),
      cagr: finiteOrNull(cagr),
      annualVolatility: finiteOrNull(sigma * Math.sqrt(a)),
      // A σ within rounding of zero (a flat curve) leaves the ratio undefined.
      sharpe: sigma > 1e-15 ? finiteOrNull((mean / sigma) * Math.sqrt(a)) : null,
      sortino: downside > 0 ? finiteOrNull((mean * Math.sqrt(a)) / downside) : null,
      maxDrawdown,
      maxDrawdownBars: this.maxDrawdownBars,
      calmar: maxDrawdown > 0 ? finiteOrNull(cagr / maxDrawdown) : null,
      ...tradeStats(trades),
      exposure: n > 0 ? barsInMarket / n : null,
      barsPerYear: a,
    };
  }
}

export function equityReturns(capital: number, equity: Float64Array): Float64Array {
  const returns = new Float64Array(equity.length);
  let prev = capital;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i] as number;
    returns[i] = prev === 0 ? 0 : e / prev - 1;
    prev = e;
  }
  return returns;
}

/** Metrics of an equity curve built elsewhere (the engine gathers them while it runs). */
export function computeMetrics(input: MetricInputs): Metrics {
  const stats = new ReturnStats(input.capital, (input.riskFree ?? 0) / input.barsPerYear);
  for (let i = 0; i < input.equity.length; i++) stats.push(input.equity[i] as number);
  return stats.finish(input.trades, input.barsInMarket, input.barsPerYear);
}

function tradeStats(trades: readonly ClosedTrade[]): Pick<Metrics, 'winRate' | 'profitFactor' | 'expectancy' | 'sqn' | 'tradeCount'> {
  const count = trades.length;
  if (count === 0) return { winRate: null, profitFactor: null, expectancy: null, sqn: null, tradeCount: 0 };
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let sum = 0;
  for (const { pnl } of trades) {
    sum += pnl;
    if (pnl > 0) {
      wins++;
      grossProfit += pnl;
    } else if (pnl < 0) grossLoss -= pnl;
  }
  const mean = sum / count;
  let squares = 0;
  for (const { pnl } of trades) squares += (pnl - mean) ** 2;
  const sd = count > 1 ? Math.sqrt(squares / (count - 1)) : 0;
  return {
    winRate: wins / count,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    expectancy: finiteOrNull(mean),
    sqn: sd > 0 ? finiteOrNull((Math.sqrt(count) * mean) / sd) : null,
    tradeCount: count,
  };
}
