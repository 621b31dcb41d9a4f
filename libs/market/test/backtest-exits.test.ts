import { describe, expect, it } from 'vitest';
import { computeMetrics, parseBacktestConfig, runBacktest } from '../src/index.js';
import { ohlc, targets } from './helpers.js';

const short = (extra: Record<string, unknown>) => parseBacktestConfig({ direction: 'long-short', sizing: { mode: 'units', units: 1 }, ...extra });

describe('a short position', () => {
  it('is stopped out when a bar rises to its stop-loss, at the stop', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [103, 106, 102, 104],
    ]);
    const [trade] = runBacktest(bars, targets(-1, -1, -1), short({ stopLoss: 0.05 })).trades;
    expect(trade).toMatchObject({ side: 'short', exitIndex: 2, exitReason: 'stop-loss' });
    expect(trade?.exitPrice).toBeCloseTo(105, 10);
    expect(trade?.pnl).toBeCloseTo(100 - 105, 10);
  });

  it("takes its take-profit at the open when the bar gaps through it", () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [85, 86, 84, 85],
    ]);
    const [trade] = runBacktest(bars, targets(-1, -1, -1), short({ takeProfit: 0.1 })).trades;
    expect(trade).toMatchObject({ exitIndex: 2, exitReason: 'take-profit', exitPrice: 85 });
  });

  it('takes its take-profit at the target when the bar only reaches it', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [95, 96, 88, 89],
    ]);
    const [trade] = runBacktest(bars, targets(-1, -1, -1), short({ takeProfit: 0.1 })).trades;
    expect(trade?.exitReason).toBe('take-profit');
    expect(trade?.exitPrice).toBeCloseTo(90, 10);
  });

  it('trails the best low and exits on a rebound of the given fraction', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 100, 95, 96],
      [96, 97, 80, 81],
      [81, 90, 81, 89],
    ]);
    const result = runBacktest(bars, targets(-1, -1, -1, -1), short({ trailingStop: 0.1 }));
    const [trade] = result.trades;
    // The best low up to the previous bar is 80: the stop is 88, inside bar 3 (open 81).
    expect(trade).toMatchObject({ exitIndex: 3, exitReason: 'trailing-stop' });
    expect(trade?.exitPrice).toBeCloseTo(88, 10);
  });

  it('moves its fills against the trader: sells lower on entry, buys higher on exit', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [90, 90, 90, 90],
    ]);
    const [trade] = runBacktest(bars, targets(-1, 0, 0), short({ slippageBps: 10 })).trades;
    expect(trade?.entryPrice).toBeCloseTo(100 * 0.999, 10);
    expect(trade?.exitPrice).toBeCloseTo(90 * 1.001, 10);
    expect(trade?.pnl).toBeCloseTo(100 * 0.999 - 90 * 1.001, 10);
  });
});

describe('a long position', () => {
  it('takes its take-profit at the target when a bar reaches it, and at the open when it gaps through', () => {
    const config = parseBacktestConfig({ sizing: { mode: 'units', units: 1 }, takeProfit: 0.1 });
    const reached = ohlc([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [105, 112, 104, 111],
    ]);
    const [atTarget] = runBacktest(reached, targets(1, 1, 1), config).trades;
    expect(atTarget?.exitReason).toBe('take-profit');
    expect(atTarget?.exitPrice).toBeCloseTo(110, 10);
    const gapped = ohlc([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [115, 116, 114, 115],
    ]);
    expect(runBacktest(gapped, targets(1, 1, 1), config).trades[0]).toMatchObject({ exitReason: 'take-profit', exitPrice: 115 });
  });
});

describe('sizing and what a trade reports', () => {
  const bars = ohlc([
    [100, 100, 100, 100],
    [50, 50, 50, 50],
    [60, 60, 60, 60],
    [60, 60, 60, 60],
  ]);

  it('buys a fixed notional with value sizing', () => {
    const config = parseBacktestConfig({ sizing: { mode: 'value', value: 1_000 } });
    const [trade] = runBacktest(bars, targets(1, 0, 0, 0), config).trades;
    expect(trade?.quantity).toBeCloseTo(20, 10);
  });

  it("reports a trade's fees for both fills, and its return on the entry notional after them", () => {
    const config = parseBacktestConfig({ sizing: { mode: 'units', units: 10 }, fees: { rate: 0.01, fixed: 2 } });
    const [trade] = runBacktest(bars, targets(1, 0, 0, 0), config).trades;
    const entryFee = 10 * 50 * 0.01 + 2;
    const exitFee = 10 * 60 * 0.01 + 2;
    expect(trade?.fees).toBeCloseTo(entryFee + exitFee, 10);
    expect(trade?.pnl).toBeCloseTo(10 * (60 - 50) - entryFee - exitFee, 10);
    expect(trade?.return).toBeCloseTo((10 * (60 - 50) - entryFee - exitFee) / (10 * 50), 10);
  });

  it('measures exposure as the share of bars that close holding a position', () => {
    const config = parseBacktestConfig({ sizing: { mode: 'units', units: 1 } });
    expect(runBacktest(bars, targets(1, 0, 0, 0), config).metrics.exposure).toBe(0.25);
    expect(runBacktest(bars, targets(1, 1, 1, 1), config).metrics.exposure).toBe(0.75);
  });
});

describe('stops and targets at their edges', () => {
  const long = (extra: Record<string, unknown>) => parseBacktestConfig({ sizing: { mode: 'units', units: 1 }, ...extra });

  it('fill when a bar touches the level exactly, long and short', () => {
    // 25 % of 100: levels that floating point holds exactly.
    const touch = (row: [number, number, number, number]) => ohlc([[100, 100, 100, 100], [100, 100, 100, 100], row]);
    expect(runBacktest(touch([100, 101, 75, 80]), targets(1, 1, 1), long({ stopLoss: 0.25 })).trades[0]?.exitReason).toBe('stop-loss');
    expect(runBacktest(touch([100, 125, 99, 120]), targets(1, 1, 1), long({ takeProfit: 0.25 })).trades[0]?.exitReason).toBe('take-profit');
    expect(runBacktest(touch([100, 125, 99, 120]), targets(-1, -1, -1), short({ stopLoss: 0.25 })).trades[0]?.exitReason).toBe('stop-loss');
    expect(runBacktest(touch([100, 101, 75, 80]), targets(-1, -1, -1), short({ takeProfit: 0.25 })).trades[0]?.exitReason).toBe('take-profit');
  });

  it('keep the stop-loss when the trailing stop lies further away', () => {
    const bars = ohlc([[100, 100, 100, 100], [100, 100, 100, 100], [99, 99, 94, 95]]);
    expect(runBacktest(bars, targets(1, 1, 1), long({ stopLoss: 0.05, trailingStop: 0.2 })).trades[0]).toMatchObject({ exitReason: 'stop-loss', exitPrice: 95 });
    const up = ohlc([[100, 100, 100, 100], [100, 100, 100, 100], [101, 106, 101, 105]]);
    expect(runBacktest(up, targets(-1, -1, -1), short({ stopLoss: 0.05, trailingStop: 0.2 })).trades[0]).toMatchObject({ exitReason: 'stop-loss', exitPrice: 105 });
  });

  it('name a stop-loss and a trailing stop at the same level a stop-loss', () => {
    // Entered at 100 with nothing better since: 10 % below (or above) is both the stop-loss and the trailing stop.
    const down = ohlc([[100, 100, 100, 100], [100, 100, 100, 100], [95, 95, 89, 90]]);
    expect(runBacktest(down, targets(1, 1, 1), long({ stopLoss: 0.1, trailingStop: 0.1 })).trades[0]).toMatchObject({ exitReason: 'stop-loss', exitPrice: 90 });
    const up = ohlc([[100, 100, 100, 100], [100, 100, 100, 100], [105, 112, 105, 111]]);
    expect(runBacktest(up, targets(-1, -1, -1), short({ stopLoss: 0.1, trailingStop: 0.1 })).trades[0]).toMatchObject({ exitReason: 'stop-loss' });
  });

  it('trail the best price reached, never a worse later one', () => {
    const longBars = ohlc([[100, 100, 100, 100], [100, 120, 100, 118], [112, 113, 110, 111], [111, 112, 107, 108]]);
    // Best high 120: the stop is 108, which bar 3 reaches; trailing bar 2's lower high (113) would put it near 102.
    const [longTrade] = runBacktest(longBars, targets(1, 1, 1, 1), long({ trailingStop: 0.1 })).trades;
    expect(longTrade).toMatchObject({ exitIndex: 3, exitReason: 'trailing-stop' });
    const shortBars = ohlc([[100, 100, 100, 100], [100, 100, 80, 82], [85, 87, 83, 86], [87, 89, 86, 88]]);
    // Best low 80: the stop is 88, which bar 3 reaches; bar 2's higher low (83) would put it near 91.
    const [shortTrade] = runBacktest(shortBars, targets(-1, -1, -1, -1), short({ trailingStop: 0.1 })).trades;
    expect(shortTrade).toMatchObject({ exitIndex: 3, exitReason: 'trailing-stop' });
  });
});

describe("the engine's bookkeeping", () => {
  it('refuses a target that does not cover every bar, naming both lengths', () => {
    const bars = ohlc([[100, 100, 100, 100], [100, 100, 100, 100]]);
    expect(() => runBacktest(bars, targets(1), parseBacktestConfig({}))).toThrow('target has 1 bars, the series 2');
  });

  it('spends the equity less the fixed fee with percent sizing, and skips an entry it cannot pay for', () => {
    const bars = ohlc([[100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 100, 100]]);
    const sized = runBacktest(bars, targets(1, 1, 1), parseBacktestConfig({ capital: 1_000, fees: { rate: 0, fixed: 10 } }));
    expect(sized.openPosition?.quantity).toBeCloseTo(9.9, 10);
    const broke = runBacktest(bars, targets(1, 1, 1), parseBacktestConfig({ capital: 5, fees: { rate: 0, fixed: 10 } }));
    expect({ fills: broke.fills, open: broke.openPosition }).toEqual({ fills: 0, open: null });
  });

  it('reports an open short with its side and its unrealised pnl after the entry fee', () => {
    const bars = ohlc([[100, 100, 100, 100], [100, 100, 100, 100], [90, 90, 90, 90]]);
    const { openPosition } = runBacktest(bars, targets(-1, -1, -1), short({ fees: { rate: 0, fixed: 1 } }));
    expect(openPosition).toMatchObject({ side: 'short', quantity: 1 });
    expect(openPosition?.unrealisedPnl).toBeCloseTo(100 - 90 - 1, 10);
  });

  it('takes the risk-free rate per bar in the Sharpe ratio, as computeMetrics does', () => {
    const bars = ohlc([[100, 100, 100, 100], [100, 101, 99, 101], [101, 103, 100, 102], [102, 102, 99, 100], [100, 104, 100, 104]]);
    const config = parseBacktestConfig({ sizing: { mode: 'units', units: 100 }, riskFree: 0.05 });
    const result = runBacktest(bars, targets(1, 1, 1, 1, 1), config);
    const again = computeMetrics({ capital: config.capital, equity: result.equity, trades: result.trades, barsInMarket: 4, barsPerYear: 252, riskFree: 0.05 });
    expect(result.metrics.sharpe).toBeCloseTo(again.sharpe as number, 10);
  });
});

describe('an entry the cash cannot pay for', () => {
  it('is not made when the fixed fee takes all of the cash (percent sizing leaves 0 units)', () => {
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [100, 101, 99, 100],
    ]);
    const run = runBacktest(bars, targets(1, 1, 1), parseBacktestConfig({ capital: 100, fees: { rate: 0, fixed: 100 }, sizing: { mode: 'percent', percent: 100 } }));
    expect(run.trades).toEqual([]);
    expect([...run.position]).toEqual([0, 0, 0]);
    expect([...run.equity]).toEqual([100, 100, 100]);
  });

  it('is not made once losses have taken the cash below zero', () => {
    // 10 units bought at 100 with 100 of capital; the price falls to 5 and the position is closed.
    const bars = ohlc([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [5, 5, 5, 5],
      [5, 5, 5, 5],
      [5, 5, 5, 5],
    ]);
    const run = runBacktest(bars, targets(1, 1, 0, 1, 1), parseBacktestConfig({ capital: 100, sizing: { mode: 'units', units: 10 } }));
    expect(run.trades).toHaveLength(1);
    expect(run.trades[0]?.pnl).toBeCloseTo(-950, 10);
    expect([...run.position].slice(3)).toEqual([0, 0]);
  });
});
