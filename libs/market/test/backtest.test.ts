import { beforeEach, describe, expect, it } from 'vitest';
import { backtest, computeMetrics, equityReturns, parseBacktestConfig, parseRuleSpec, runBacktest, RuleSpecError, sliceSeries } from '../src/index.js';
import { ohlc, randomBars, targets } from './helpers.js';


describe('backtest engine', () => {
  it("fills a target at the next bar's open, with slippage and fees on both fills", () => {
    const bars = ohlc([
      [100, 101, 99, 100],
      [102, 106, 101, 105],
      [105, 110, 104, 108],
      [107, 109, 106, 109],
    ]);
    const config = parseBacktestConfig({ capital: 10_000, fees: { rate: 0.001, fixed: 1 }, slippageBps: 10, sizing: { mode: 'units', units: 10 } });
    const result = runBacktest(bars, targets(1, 1, 0, 0), config);
    const entry = 102 * 1.001;
    const exit = 107 * 0.999;
    const entryFee = 10 * entry * 0.001 + 1;
    const exitFee = 10 * exit * 0.001 + 1;
    expect(result.trades).toHaveLength(1);
    const trade = result.trades[0];
    expect(trade).toMatchObject({ side: 'long', entryIndex: 1, exitIndex: 3, quantity: 10, barsHeld: 2, exitReason: 'signal' });
    expect(trade?.entryPrice).toBeCloseTo(entry, 10);
    expect(trade?.exitPrice).toBeCloseTo(exit, 10);
    expect(trade?.pnl).toBeCloseTo(10 * (exit - entry) - entryFee - exitFee, 10);
    // Marked to market at each close while held.
    expect(result.equity[0]).toBe(10_000);
    expect(result.equity[1]).toBeCloseTo(10_000 - 10 * entry - entryFee + 10 * 105, 10);
    expect(result.equity[3]).toBeCloseTo(10_000 + (trade?.pnl ?? 0), 10);
    expect([...result.position]).toEqual([0, 1, 1, 0]);
    expect(result.fills).toBe(2);
  });

  it('never fills a target from the last bar and reports a still-open position', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 100, 100, 110],
    ]);
    const result = runBacktest(bars, targets(1, 0), parseBacktestConfig({ sizing: { mode: 'units', units: 1 } }));
    expect(result.trades).toEqual([]);
    expect(result.openPosition).toMatchObject({ side: 'long', entryIndex: 1, quantity: 1, unrealisedPnl: 10 });
    const none = runBacktest(bars, targets(0, 1), parseBacktestConfig());
    expect(none.fills).toBe(0);
  });

  it('takes the stop when stop and target both lie inside one bar', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [100, 111, 94, 100],
    ]);
    const config = parseBacktestConfig({ sizing: { mode: 'units', units: 1 }, stopLoss: 0.05, takeProfit: 0.1 });
    const [trade] = runBacktest(bars, targets(1, 1, 1), config).trades;
    expect(trade).toMatchObject({ exitIndex: 2, exitReason: 'stop-loss', exitPrice: 95 });
  });

  it('fills at the open when a bar gaps through the stop, and stays flat until the rule changes its mind', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [90, 91, 85, 88],
      [88, 95, 88, 94],
      [94, 96, 93, 95],
      [95, 97, 94, 96],
    ]);
    const config = parseBacktestConfig({ sizing: { mode: 'units', units: 1 }, stopLoss: 0.05 });
    const result = runBacktest(bars, targets(1, 1, 1, 0, 1, 1), config);
    expect(result.trades[0]).toMatchObject({ exitIndex: 2, exitPrice: 90, exitReason: 'stop-loss' });
    // Bar 3's open would follow target 1 from bar 2 again; the latch keeps it flat until the target drops to 0 and rises.
    expect([...result.position]).toEqual([0, 1, 0, 0, 0, 1]);
  });

  it('trails the best high and exits a long on a pullback of the given fraction', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 105, 100, 104],
      [104, 120, 103, 119],
      [119, 119, 107, 108],
    ]);
    const config = parseBacktestConfig({ sizing: { mode: 'units', units: 1 }, trailingStop: 0.1 });
    const [trade] = runBacktest(bars, targets(1, 1, 1, 1), config).trades;
    expect(trade).toMatchObject({ exitIndex: 3, exitReason: 'trailing-stop' });
    expect(trade?.exitPrice).toBeCloseTo(108, 10);
  });

  it('reverses long to short with two fills in long-short mode and stays flat on shorts in long-only mode', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [110, 110, 110, 110],
      [105, 105, 105, 100],
    ]);
    const both = runBacktest(bars, targets(1, -1, -1, -1), parseBacktestConfig({ direction: 'long-short', sizing: { mode: 'units', units: 2 } }));
    expect(both.fills).toBe(3);
    expect(both.trades[0]).toMatchObject({ side: 'long', pnl: 20 });
    expect(both.openPosition).toMatchObject({ side: 'short', quantity: 2, unrealisedPnl: 20 });
    expect(both.equity[3]).toBeCloseTo(100_000 + 20 + 20, 10);
    const longOnly = runBacktest(bars, targets(1, -1, -1, -1), parseBacktestConfig({ sizing: { mode: 'units', units: 2 } }));
    expect([...longOnly.position]).toEqual([0, 1, 0, 0]);
  });

  it('spends the given share of equity including the entry fee under percent sizing', () => {
    const bars = ohlc([
      [50, 50, 50, 50],
      [50, 50, 50, 50],
    ]);
    const result = runBacktest(bars, targets(1, 1), parseBacktestConfig({ capital: 1000, fees: { rate: 0.01, fixed: 0 }, sizing: { mode: 'percent', percent: 100 } }));
    expect(result.openPosition?.quantity).toBeCloseTo(1000 / (50 * 1.01), 10);
    expect(result.equity[1]).toBeCloseTo(1000 / 1.01, 8);
  });

  it('gives the same equity up to bar t whether or not later bars exist', () => {
    const bars = randomBars(800, 9);
    const spec = parseRuleSpec({ type: 'ma-cross', fast: 5, slow: 30 });
    const config = { fees: { rate: 0.0005, fixed: 1 }, slippageBps: 5, stopLoss: 0.03 };
    const full = backtest(bars, spec, config);
    for (const t of [100, 333, 512, 799]) {
      const part = backtest(sliceSeries(bars, 0, t), spec, config);
      expect([...part.equity]).toEqual([...full.equity.subarray(0, t)]);
    }
  });

  it('rejects bad settings with the path of each problem', () => {
    expect(() => parseBacktestConfig({ capital: -5 })).toThrow(RuleSpecError);
    expect(() => parseBacktestConfig({ sizing: { mode: 'percent', percent: 150 } })).toThrow(/\/config\/sizing/);
    expect(parseBacktestConfig({})).toMatchObject({ capital: 100_000, direction: 'long-only', barsPerYear: 252, sizing: { mode: 'percent', percent: 100 } });
  });
});

describe('metrics (empyrical definitions)', () => {
  const capital = 100;
  const equity = Float64Array.of(101, 99, 102, 100, 104);
  const returns = () => equityReturns(capital, equity);
  const trades = [{ pnl: 5 }, { pnl: -2 }, { pnl: 0 }, { pnl: 3 }];
  // Computed in each test rather than when the file is collected, so that mutation testing
  // knows which tests run the metrics.
  let m: ReturnType<typeof computeMetrics>;
  beforeEach(() => {
    m = computeMetrics({ capital, equity, trades, barsInMarket: 4, barsPerYear: 252, riskFree: 0.0252 });
  });

  it('measures returns from the starting capital', () => {
    expect([...returns()].map((r) => +r.toFixed(12))).toEqual([0.01, 99 / 101 - 1, 102 / 99 - 1, 100 / 102 - 1, 0.04].map((r) => +r.toFixed(12)));
    expect(m.totalReturn).toBeCloseTo(0.04, 12);
    expect(m.cagr).toBeCloseTo(1.04 ** (252 / 5) - 1, 10);
  });

  it('annualises σ with ddof = 1 and takes the risk-free rate per bar', () => {
    const r = [...returns()];
    const rf = 0.0252 / 252;
    const mean = r.reduce((a, b) => a + b, 0) / 5;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / 4);
    expect(m.annualVolatility).toBeCloseTo(sd * Math.sqrt(252), 12);
    expect(m.sharpe).toBeCloseTo(((mean - rf) / sd) * Math.sqrt(252), 10);
    const downside = Math.sqrt(r.reduce((a, x) => a + Math.min(x - rf, 0) ** 2, 0) / 5);
    expect(m.sortino).toBeCloseTo(((mean - rf) * Math.sqrt(252)) / downside, 10);
  });

  it('counts the starting capital as a peak and reports drawdown as a positive fraction with its length', () => {
    expect(m.maxDrawdown).toBeCloseTo(1 - 99 / 101, 12);
    expect(m.maxDrawdownBars).toBe(1);
    expect(m.calmar).toBeCloseTo((m.cagr as number) / (1 - 99 / 101), 10);
    const sinking = computeMetrics({ capital: 100, equity: Float64Array.of(90, 80, 85), trades: [], barsInMarket: 3, barsPerYear: 252 });
    expect(sinking.maxDrawdown).toBeCloseTo(0.2, 12);
    expect(sinking.maxDrawdownBars).toBe(3);
  });

  it('counts break-even trades in the win-rate denominator', () => {
    expect(m.winRate).toBe(0.5);
    expect(m.profitFactor).toBe(4);
    expect(m.expectancy).toBe(1.5);
    const sd = Math.sqrt([5, -2, 0, 3].reduce((a, x) => a + (x - 1.5) ** 2, 0) / 3);
    expect(m.sqn).toBeCloseTo((2 * 1.5) / sd, 12);
    expect(m.exposure).toBe(0.8);
    expect(m.tradeCount).toBe(4);
  });

  it('reports undefined ratios as null, never Infinity or NaN', () => {
    const flat = Float64Array.of(100, 100, 100);
    const none = computeMetrics({ capital: 100, equity: flat, trades: [{ pnl: 5 }], barsInMarket: 0, barsPerYear: 252 });
    expect(none).toMatchObject({ sharpe: null, sortino: null, calmar: null, profitFactor: null, sqn: null, maxDrawdown: 0 });
    const json = JSON.parse(JSON.stringify(none));
    expect(Object.values(json).every((v) => v === null || Number.isFinite(v))).toBe(true);
    expect(computeMetrics({ capital: 100, equity: flat, trades: [], barsInMarket: 0, barsPerYear: 252 })).toMatchObject({
      winRate: null,
      expectancy: null,
      tradeCount: 0,
    });
  });

  it('takes a bar after equity reached zero as a zero return, and a wiped-out account as a CAGR of -100 %', () => {
    const wiped = computeMetrics({ capital: 100, equity: Float64Array.of(50, 0, 0), trades: [], barsInMarket: 3, barsPerYear: 252 });
    expect(wiped.totalReturn).toBe(-1);
    expect(wiped.cagr).toBe(-1);
    expect(wiped.maxDrawdown).toBe(1);
    expect(wiped.annualVolatility).not.toBeNull();
    expect(Number.isFinite(wiped.annualVolatility)).toBe(true);
    expect([...equityReturns(100, Float64Array.of(50, 0, 0))]).toEqual([-0.5, -1, 0]);
    // A short position can lose more than the account: the CAGR is still -100 %, not NaN.
    expect(computeMetrics({ capital: 100, equity: Float64Array.of(50, 40, 30, 20, -10), trades: [], barsInMarket: 5, barsPerYear: 252 }).cagr).toBe(-1);
  });

  it('counts a bar back at the previous peak as recovered, not as one more bar below it', () => {
    const recovered = computeMetrics({ capital: 100, equity: Float64Array.of(100, 90, 100, 100, 100), trades: [], barsInMarket: 5, barsPerYear: 252 });
    expect(recovered.maxDrawdownBars).toBe(1);
    expect(recovered.maxDrawdown).toBeCloseTo(0.1, 12);
  });

  it('has no exposure, volatility or CAGR for an empty curve', () => {
    expect(computeMetrics({ capital: 100, equity: new Float64Array(0), trades: [], barsInMarket: 0, barsPerYear: 252 })).toMatchObject({
      exposure: null,
      annualVolatility: null,
      cagr: null,
      totalReturn: 0,
    });
  });

  it('stores A on the result', () => {
    const result = backtest(randomBars(300, 2), { type: 'momentum', period: 5, threshold: 0 }, { barsPerYear: 365 });
    expect(result.metrics.barsPerYear).toBe(365);
  });
});
