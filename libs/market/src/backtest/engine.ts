/**
 * The backtest engine. Semantics:
 * - The target computed on bar t's close is filled at bar t+1's open: no look-ahead. A target
 *   on the last bar is never filled.
 * - Long-only runs treat a short target (−1) as flat.
 * - Every fill pays slippage (price moved against the trader by slippageBps) and fees
 *   (rate × notional + fixed). Reversing long→short is two fills: an exit and an entry.
 * - Quantities are fractional. Percent sizing spends that share of equity including the entry
 *   fee; an entry is skipped when equity cannot pay for it.
 * - Stops are checked on every bar a position is held, the entry bar included (the fill was at
 *   its open). A bar that opens beyond a stop or target fills at the open. When the stop and the
 *   target both lie inside one bar the stop is taken: the bar's path is unknown and the engine
 *   assumes the worse case. A trailing stop trails the best high (low for shorts) up to the
 *   previous bar. After a stop or target exit the position stays flat until the rule's target
 *   changes.
 * - Positions are marked to market at every close: equity = cash + quantity × close.
 */
import type { BarSeries } from '../series.js';
import type { RuleSpec } from '../rules/spec.js';
import { evaluateRule, type SignalEvent } from '../rules/evaluate.js';
import { parseBacktestConfig, type BacktestConfig, type BacktestConfigInput } from './config.js';
import { ReturnStats, type Metrics } from './metrics.js';

export type ExitReason = 'signal' | 'stop-loss' | 'take-profit' | 'trailing-stop';

export interface Trade {
  side: 'long' | 'short';
  entryIndex: number;
  entryTime: number;
  entryPrice: number;
  exitIndex: number;
  exitTime: number;
  exitPrice: number;
  quantity: number;
  /** After all fees and slippage of both fills. */
  pnl: number;
  /** pnl over the entry notional. */
  return: number;
  barsHeld: number;
  fees: number;
  exitReason: ExitReason;
}

export interface OpenPosition {
  side: 'long' | 'short';
  entryIndex: number;
  entryTime: number;
  entryPrice: number;
  quantity: number;
  /** Marked at the last close, entry fees included, exit costs not. */
  unrealisedPnl: number;
}

export interface BacktestResult {
  config: BacktestConfig;
  equity: Float64Array;
  returns: Float64Array;
  /** Position held at each close: −1, 0 or +1. */
  position: Int8Array;
  trades: Trade[];
  openPosition: OpenPosition | null;
  fills: number;
  metrics: Metrics;
}

/** Runs a rule spec over bars: the rule's targets, then the engine. */
export function backtest(series: BarSeries, spec: RuleSpec, config: BacktestConfigInput = {}): BacktestResult & { events: SignalEvent[] } {
  const evaluation = evaluateRule(series, spec);
  return { ...runBacktest(series, evaluation.target, parseBacktestConfig(config)), events: evaluation.events };
}

/** Cash, the open position and the trade log; changed only by fills, which are rare next to bars. */
class Account {
  cash: number;
  qty = 0; // signed
  side = 0;
  entryIndex = -1;
  entryPrice = 0;
  entryFees = 0;
  /** The entry's open before slippage: stop and target levels are set from it. */
  stopRef = 0;
  /** Best price since entry, for the trailing stop. */
  best = 0;
  fills = 0;
  readonly trades: Trade[] = [];
  private readonly slip: number;

  constructor(
    private readonly config: BacktestConfig,
    private readonly ts: Float64Array,
  ) {
    this.cash = config.capital;
    this.slip = config.slippageBps / 10_000;
  }

  exit(i: number, rawPrice: number, reason: ExitReason): void {
    const { qty, side } = this;
    const price = side > 0 ? rawPrice * (1 - this.slip) : rawPrice * (1 + this.slip);
    const fee = Math.abs(qty) * price * this.config.fees.rate + this.config.fees.fixed;
    this.cash += qty * price - fee;
    const pnl = qty * (price - this.entryPrice) - this.entryFees - fee;
    this.trades.push({
      side: side > 0 ? 'long' : 'short',
      entryIndex: this.entryIndex,
      entryTime: this.ts[this.entryIndex] as number,
      entryPrice: this.entryPrice,
      exitIndex: i,
      exitTime: this.ts[i] as number,
      exitPrice: price,
      quantity: Math.abs(qty),
      pnl,
      return: pnl / (Math.abs(qty) * this.entryPrice),
      barsHeld: i - this.entryIndex,
      fees: this.entryFees + fee,
      exitReason: reason,
    });
    this.fills++;
    this.qty = 0;
    this.side = 0;
  }

  enter(i: number, desired: number, rawPrice: number): void {
    const { sizing, fees } = this.config;
    const price = desired > 0 ? rawPrice * (1 + this.slip) : rawPrice * (1 - this.slip);
    let units: number;
    if (sizing.mode === 'units') units = sizing.units;
    else if (sizing.mode === 'value') units = sizing.value / price;
    else units = ((sizing.percent / 100) * this.cash - fees.fixed) / (price * (1 + fees.rate));
    if (!(units > 0) || this.cash <= 0) return;
    const fee = units * price * fees.rate + fees.fixed;
    this.qty = desired * units;
    this.side = desired;
    this.cash -= this.qty * price + fee;
    this.entryIndex = i;
    this.entryPrice = price;
    this.entryFees = fee;
    this.stopRef = rawPrice;
    this.best = rawPrice;
    this.fills++;
  }

  /** Stop, trailing stop and target on bar i; true when one of them closed the position. */
  checkExits(i: number, open: number, high: number, low: number): boolean {
    const { stopLoss = 0, takeProfit = 0, trailingStop = 0 } = this.config;
    const ref = this.stopRef;
    if (this.side > 0) {
      let stop = stopLoss > 0 ? ref * (1 - stopLoss) : Number.NEGATIVE_INFINITY;
      let reason: ExitReason = 'stop-loss';
      if (trailingStop > 0 && this.best * (1 - trailingStop) > stop) {
        stop = this.best * (1 - trailingStop);
        reason = 'trailing-stop';
      }
      const target = takeProfit > 0 ? ref * (1 + takeProfit) : Number.POSITIVE_INFINITY;
      if (low <= stop) this.exit(i, Math.min(open, stop), reason);
      else if (high >= target) this.exit(i, Math.max(open, target), 'take-profit');
      else if (high > this.best) this.best = high;
    } else {
      let stop = stopLoss > 0 ? ref * (1 + stopLoss) : Number.POSITIVE_INFINITY;
      let reason: ExitReason = 'stop-loss';
      if (trailingStop > 0 && this.best * (1 + trailingStop) < stop) {
        stop = this.best * (1 + trailingStop);
        reason = 'trailing-stop';
      }
      const target = takeProfit > 0 ? ref * (1 - takeProfit) : Number.NEGATIVE_INFINITY;
      if (high >= stop) this.exit(i, Math.max(open, stop), reason);
      else if (low <= target) this.exit(i, Math.min(open, target), 'take-profit');
      else if (low < this.best) this.best = low;
    }
    return this.side === 0;
  }
}

export function runBacktest(series: BarSeries, target: Int8Array, config: BacktestConfig): BacktestResult {
  const { ts, open, high, low, close } = series;
  const n = close.length;
  if (target.length !== n) throw new RangeError(`target has ${target.length} bars, the series ${n}`);
  const longOnly = config.direction === 'long-only';
  const hasExits = (config.stopLoss ?? 0) > 0 || (config.takeProfit ?? 0) > 0 || (config.trailingStop ?? 0) > 0;
  const account = new Account(config, ts);
  const stats = new ReturnStats(config.capital, config.riskFree / config.barsPerYear);
  const equity = new Float64Array(n);
  const returns = new Float64Array(n);
  const position = new Int8Array(n);
  // The hot loop keeps the position in locals and reads the account back after each fill.
  let side = 0;
  let qty = 0;
  let cash = config.capital;
  let latched = 2; // the target that a stop exit left behind; 2 = none
  let barsInMarket = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      let desired = target[i - 1] as number;
      if (longOnly && desired < 0) desired = 0;
      if (latched !== 2) {
        if (desired === latched) desired = 0;
        else latched = 2;
      }
      if (desired !== side) {
        const o = open[i] as number;
        if (side !== 0) account.exit(i, o, 'signal');
        if (desired !== 0) account.enter(i, desired, o);
        side = account.side;
        qty = account.qty;
        cash = account.cash;
      }
    }
    if (hasExits && side !== 0 && account.checkExits(i, open[i] as number, high[i] as number, low[i] as number)) {
      const followed = target[i - 1] as number;
      latched = longOnly && followed < 0 ? 0 : followed;
      side = 0;
      qty = 0;
      cash = account.cash;
    }
    if (side !== 0) barsInMarket++;
    position[i] = side;
    const e = cash + qty * (close[i] as number);
    equity[i] = e;
    returns[i] = stats.push(e);
  }

  const openPosition: OpenPosition | null =
    side === 0
      ? null
      : {
          side: side > 0 ? 'long' : 'short',
          entryIndex: account.entryIndex,
          entryTime: ts[account.entryIndex] as number,
          entryPrice: account.entryPrice,
          quantity: Math.abs(qty),
          unrealisedPnl: qty * ((close[n - 1] as number) - account.entryPrice) - account.entryFees,
        };
  const metrics = stats.finish(account.trades, barsInMarket, config.barsPerYear);
  return { config, equity, returns, position, trades: account.trades, openPosition, fills: account.fills, metrics };
}
