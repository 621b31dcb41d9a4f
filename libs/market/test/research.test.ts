import { describe, expect, it } from 'vitest';
import {
  applyParams,
  backtest,
  evaluateGates,
  expandGrid,
  parseRuleSpec,
  rankRuns,
  rebalancedEquity,
  RuleSpecError,
  runParamSets,
  validateWalkForward,
  warmupBars,
  type BarSeries,
  type Metrics,
} from '../src/index.js';
import { randomBars, thrown } from './helpers.js';

const grid = expandGrid({ fast: [3, 5, 8, 13], slow: [21, 34, 55] });
const base = { type: 'ma-cross', fast: 10, slow: 50 };

describe('warm-up', () => {
  it('is the bars each rule needs before it can take a side, the longest leg for a combinator', () => {
    expect(warmupBars(parseRuleSpec({ type: 'ma-cross', fast: 5, slow: 40 }))).toBe(40);
    expect(warmupBars(parseRuleSpec({ type: 'macd-cross' }))).toBe(26 + 9 - 1);
    expect(warmupBars(parseRuleSpec({ type: 'rsi-reversion', period: 10 }))).toBe(11);
    expect(warmupBars(parseRuleSpec({ type: 'seasonality', minYears: 2 }), 252)).toBe(504);
    expect(warmupBars(parseRuleSpec({ type: 'all', rules: [{ type: 'momentum', period: 90 }, { type: 'bollinger', period: 20 }] }))).toBe(91);
  });

  it('matches the first bar a rule can leave flat on', () => {
    const series = randomBars(400, 3);
    const spec = parseRuleSpec({ type: 'ma-cross', fast: 5, slow: 30 });
    const first = backtest(series, spec).events[0]?.index ?? -1;
    expect(first).toBeGreaterThanOrEqual(warmupBars(spec) - 1);
  });
});

describe('parameter sets', () => {
  it('sets paths inside combinators and validates the result', () => {
    const spec = { type: 'all', rules: [{ type: 'momentum' }, { type: 'ma-cross' }] };
    expect(applyParams(spec, { 'rules.0.period': 7, 'rules.1.fast': 3 })).toMatchObject({ rules: [{ period: 7 }, { fast: 3, slow: 50 }] });
    expect(() => applyParams(spec, { 'rules.5.period': 7 })).toThrow(/nothing at "rules.5.period"/);
    expect(() => applyParams(base, { fast: 60 })).toThrow(/fast: must be less than slow/);
  });

  it('ranks exactly as a brute-force loop over the engine does, invalid sets last', () => {
    const series = randomBars(1500, 11);
    const withInvalid = [...grid, { fast: 40, slow: 21 }];
    const ranked = rankRuns(runParamSets(series, base, withInvalid, {}, { objective: 'sharpe' }));
    const brute = withInvalid
      .map((params, index) => {
        const valid = Number(params.fast) < Number(params.slow);
        const sharpe = valid ? backtest(series, parseRuleSpec({ ...base, ...params })).metrics.sharpe : null;
        return { index, sharpe };
      })
      .sort((a, b) => (a.sharpe === null ? 1 : b.sharpe === null ? -1 : b.sharpe - a.sharpe || a.index - b.index));
    expect(ranked.map((r) => r.index)).toEqual(brute.map((b) => b.index));
    expect(ranked.at(-1)).toMatchObject({ index: grid.length, objective: null, metrics: null, invalid: expect.stringMatching(/less than slow/) });
  });

  it('gives no objective to a run with fewer trades than asked for', () => {
    const series = randomBars(600, 5);
    const [run] = runParamSets(series, base, [{ fast: 5, slow: 21 }], {}, { objective: 'cagr', minTrades: 10_000 });
    expect(run?.metrics?.tradeCount).toBeGreaterThan(0);
    expect(run?.objective).toBeNull();
  });
});

/** The same bars, with everything from `from` on replaced by a wild path. */
function scrambledFrom(series: BarSeries, from: number): BarSeries {
  const copy = { ts: series.ts.slice(), open: series.open.slice(), high: series.high.slice(), low: series.low.slice(), close: series.close.slice(), volume: series.volume.slice() };
  for (let i = from; i < copy.close.length; i++) {
    const price = 50 + 40 * Math.sin(i * 1.7);
    copy.open[i] = price;
    copy.close[i] = price * 1.01;
    copy.high[i] = price * 1.05;
    copy.low[i] = price * 0.95;
  }
  return copy;
}

describe('walk-forward validation', () => {
  const series = randomBars(1200, 21);
  const options = { objective: 'sharpe' as const, mode: 'rolling' as const, inSample: 400, outOfSample: 200 };

  it('never lets an out-of-sample bar into the in-sample choice', () => {
    const result = validateWalkForward(series, base, grid, {}, options);
    expect(result.splits).toHaveLength(4);
    for (const [n, split] of result.splits.entries()) {
      // Change every bar from this split's out-of-sample window on: its winner must not move.
      const oosStart = 400 + n * 200;
      const other = validateWalkForward(scrambledFrom(series, oosStart), base, grid, {}, options);
      expect(other.splits[n]?.params).toEqual(split.params);
      expect(other.splits[n]?.inSampleObjective).toBe(split.inSampleObjective);
    }
  });

  it('chains the out-of-sample windows into one curve and compares it with the in-sample promise', () => {
    const result = validateWalkForward(series, base, grid, {}, { ...options, mode: 'anchored' });
    expect(result.equity.ts).toEqual(Array.from(series.ts.subarray(400, 1200)));
    expect(result.splits[0]?.inSample.bars).toBe(400);
    expect(result.splits[3]?.inSample.bars).toBe(1000);
    const firstWindow = result.splits[0]?.outOfSampleMetrics;
    expect(result.equity.equity[199]).toBeCloseTo(100_000 * (1 + (firstWindow?.totalReturn ?? 0)), 6);
    expect(result.efficiency).toBeCloseTo((result.outOfSampleObjective ?? 0) / (result.inSampleObjective ?? 1), 12);
  });

  it('refuses bars too few for a single split', () => {
    expect(() => validateWalkForward(randomBars(300, 1), base, grid, {}, options)).toThrow(/hold no split/);
  });
});

describe('gates', () => {
  const metrics = { sharpe: 1.2, maxDrawdown: 0.25, tradeCount: 40, cagr: null } as unknown as Metrics;

  it('passes and fails each criterion on its bounds', () => {
    const report = evaluateGates({ minTrades: 30, criteria: [{ metric: 'sharpe', min: 1.2 }, { metric: 'maxDrawdown', max: 0.2 }, { metric: 'cagr', min: 0 }] }, metrics);
    expect(report.passed).toBe(false);
    expect(report.verdicts.map((v) => v.passed)).toEqual([true, false, false]);
    expect(report.verdicts[2]?.reason).toMatch(/undefined/);
  });

  it('lets no gate pass on fewer trades than the minimum sample', () => {
    const report = evaluateGates({ minTrades: 30, criteria: [{ metric: 'sharpe', min: 0 }] }, { ...metrics, tradeCount: 29 });
    expect(report).toMatchObject({ passed: false, verdicts: [{ passed: false, reason: '29 closed trades; at least 30 are needed' }] });
  });
});

describe('rebalanced portfolios', () => {
  it('holds the weights from one period to the next and trades back to them at each new month', () => {
    const day = 86_400_000;
    const ts = [Date.UTC(2020, 0, 30), Date.UTC(2020, 0, 31), Date.UTC(2020, 1, 3), Date.UTC(2020, 1, 4)];
    const a = [100, 200, 200, 100];
    const b = [100, 100, 100, 100];
    const equity = rebalancedEquity(ts, [a, b], [0.5, 0.5], 'monthly', 1000);
    // January: 5 units of a, 5 of b; a doubles. February's first close rebalances 1500 into 3.75 a and 7.5 b; a halves.
    expect(Array.from(equity)).toEqual([1000, 1500, 1500, 1125]);
    // Within one quarter nothing is traded: a round trip of a leaves the start value.
    expect(rebalancedEquity(ts.map((t) => t + day), [a, b], [0.5, 0.5], 'quarterly', 1000)[3]).toBe(1000);
  });
});

describe('research details', () => {
  it('gives every rule its warm-up', () => {
    expect(warmupBars(parseRuleSpec({ type: 'bollinger', period: 15 }))).toBe(15);
    expect(warmupBars(parseRuleSpec({ type: 'donchian-breakout', period: 15 }))).toBe(16);
    expect(warmupBars(parseRuleSpec({ type: 'momentum', period: 15 }))).toBe(16);
    expect(warmupBars(parseRuleSpec({ type: 'seasonality', months: [1] }))).toBe(0);
    expect(warmupBars(parseRuleSpec({ type: 'seasonality', minYears: 1 }), 12)).toBe(12);
    expect(warmupBars(parseRuleSpec({ type: 'any', rules: [{ type: 'ma-cross', fast: 2, slow: 7 }, { type: 'bollinger', period: 5 }] }))).toBe(7);
  });

  it('names the path of a parameter the rule has no place for', () => {
    const error = thrown<RuleSpecError>(() => applyParams({ type: 'all', rules: [{ type: 'momentum' }] }, { 'rules.0.period.x': 7 }));
    expect(error).toBeInstanceOf(RuleSpecError);
    expect(error.problems).toEqual([{ path: '/rules/0/period/x', message: 'the rule has nothing at "rules.0.period.x"' }]);
    // A null on the way is nothing as well.
    const atNull = thrown<RuleSpecError>(() => applyParams({ type: 'momentum', period: null }, { 'period.x': 7 }));
    expect(atNull).toBeInstanceOf(RuleSpecError);
    expect(atNull.problems).toEqual([{ path: '/period/x', message: 'the rule has nothing at "period.x"' }]);
    // The spec passed in is left as it was.
    const spec = { type: 'ma-cross', fast: 5, slow: 20 };
    applyParams(spec, { fast: 7 });
    expect(spec.fast).toBe(5);
  });

  it('counts a run with exactly the minimum of trades', () => {
    const series = randomBars(600, 5);
    const [run] = runParamSets(series, base, [{ fast: 5, slow: 21 }], {}, { objective: 'cagr' });
    const trades = run?.metrics?.tradeCount as number;
    const [atMinimum] = runParamSets(series, base, [{ fast: 5, slow: 21 }], {}, { objective: 'cagr', minTrades: trades });
    expect(atMinimum?.objective).toBe(run?.metrics?.cagr);
    const [above] = runParamSets(series, base, [{ fast: 5, slow: 21 }], {}, { objective: 'cagr', minTrades: trades + 1 });
    expect(above?.objective).toBeNull();
  });

  it('numbers a chunk of sets from its place in the whole grid', () => {
    const runs = runParamSets(randomBars(300, 2), base, [{ fast: 3, slow: 21 }, { fast: 5, slow: 21 }], {}, { objective: 'sharpe' }, 40);
    expect(runs.map((r) => r.index)).toEqual([40, 41]);
  });

  it('ranks higher first, equal objectives and nulls in grid order, nulls last', () => {
    const ranked = rankRuns([
      { index: 0, objective: null },
      { index: 1, objective: 0.5 },
      { index: 2, objective: 1.5 },
      { index: 3, objective: 0.5 },
      { index: 4, objective: null },
      { index: 5, objective: -1 },
    ]);
    expect(ranked.map((r) => r.index)).toEqual([2, 1, 3, 5, 0, 4]);
  });

  it('names each window by its first and last bar, and reports splits as they finish', () => {
    const series = randomBars(1000, 21);
    const seen: [number, number][] = [];
    const result = validateWalkForward(series, base, grid, {}, { objective: 'sharpe', mode: 'rolling', inSample: 400, outOfSample: 300, onSplit: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual([[1, 2], [2, 2]]);
    expect(result.splits[1]).toMatchObject({
      inSample: { from: series.ts[300], to: series.ts[699], bars: 400 },
      outOfSample: { from: series.ts[700], to: series.ts[999], bars: 300 },
    });
    const objectives = result.splits.map((s) => s.inSampleObjective as number);
    expect(result.inSampleObjective).toBeCloseTo(((objectives[0] as number) + (objectives[1] as number)) / 2, 12);
  });

  it('reports no winner, no curve and no metrics when no set is valid', () => {
    const result = validateWalkForward(randomBars(700, 3), base, [{ fast: 60, slow: 21 }], {}, { objective: 'sharpe', mode: 'rolling', inSample: 400, outOfSample: 300 });
    expect(result.splits).toEqual([{ inSample: expect.objectContaining({ bars: 400 }), outOfSample: expect.objectContaining({ bars: 300 }), params: null, inSampleObjective: null, outOfSampleObjective: null, outOfSampleMetrics: null }]);
    expect(result).toMatchObject({ equity: { ts: [], equity: [] }, metrics: null, inSampleObjective: null, outOfSampleObjective: null, efficiency: null });
  });

  it('measures the chained curve’s exposure over the bars of every window', () => {
    const series = randomBars(1000, 21);
    const result = validateWalkForward(series, base, grid, {}, { objective: 'sharpe', mode: 'rolling', inSample: 400, outOfSample: 300 });
    const perWindow = result.splits.map((s) => (s.outOfSampleMetrics?.exposure ?? 0) * s.outOfSample.bars);
    expect(result.metrics?.exposure).toBeCloseTo(perWindow.reduce((a, b) => a + b, 0) / 600, 9);
    expect(result.metrics?.exposure).toBeGreaterThan(0);
  });
});
