/**
 * Research over the engine: warm-up, parameter sets applied to a rule spec, objectives, ranking
 * and walk-forward validation.
 * - A parameter set's keys are paths into the rule spec: `fast`, or `rules.0.period` inside a
 *   combinator. A set that makes the spec invalid (fast ≥ slow) is reported, not run.
 * - The objective of a run is one of its metrics; it is null when the metric is undefined or the
 *   run has fewer than `minTrades` closed trades, and null ranks below every number. Ties keep
 *   the order of the grid.
 * - Walk-forward: each split's winner is chosen on its in-sample bars alone (the rule is
 *   evaluated on bars before the split's out-of-sample window and nothing after), then run on
 *   the out-of-sample window with the rule evaluated on every bar up to that window's end, so
 *   indicators are warm and nothing later is seen. Out-of-sample windows start flat and are
 *   chained: each starts with the equity the previous one ended with.
 */
import { parseBacktestConfig, type BacktestConfig, type BacktestConfigInput } from './config.js';
import { runBacktest } from './engine.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { walkForward, type ParamSet, type WalkForwardOptions } from './grid.js';
import { parseRuleSpec, RuleSpecError, type RuleSpec } from '../rules/spec.js';
import { ruleOutput } from '../rules/evaluate.js';
import { sliceSeries, type BarSeries } from '../series.js';

export const OBJECTIVES = ['sharpe', 'cagr', 'calmar', 'sortino'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** Bars a rule needs before it can take a side; `barsPerYear` converts the seasonality rule's years. */
export function warmupBars(spec: RuleSpec, barsPerYear = 252): number {
  switch (spec.type) {
    case 'all':
    case 'any':
      return Math.max(...spec.rules.map((rule) => warmupBars(rule, barsPerYear)));
    case 'ma-cross':
      return spec.slow;
    case 'macd-cross':
      return spec.slow + spec.signal - 1;
    case 'bollinger':
      return spec.period;
    case 'rsi-reversion':
    case 'donchian-breakout':
    case 'momentum':
      return spec.period + 1;
    case 'seasonality':
      return spec.months ? 0 : Math.ceil(spec.minYears * barsPerYear);
  }
}

/** The spec with each path of `params` set, validated; throws RuleSpecError naming the path. */
export function applyParams(spec: unknown, params: ParamSet): RuleSpec {
  const out = structuredClone(spec) as Record<string, unknown>;
  for (const [path, value] of Object.entries(params)) {
    const keys = path.split('.');
    let node: Record<string, unknown> = out;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null) throw new RuleSpecError([{ path: `/${keys.join('/')}`, message: `the rule has nothing at "${path}"` }]);
      node = next as Record<string, unknown>;
    }
    node[keys.at(-1) as string] = value;
  }
  return parseRuleSpec(out);
}

export function objectiveOf(metrics: Metrics, objective: Objective, minTrades = 0): number | null {
  if (metrics.tradeCount < minTrades) return null;
  return metrics[objective];
}

/** Higher first, null last, then grid order. */
export function compareObjective(a: { objective: number | null; index: number }, b: { objective: number | null; index: number }): number {
  if (a.objective === b.objective) return a.index - b.index;
  if (a.objective === null) return 1;
  if (b.objective === null) return -1;
  return b.objective - a.objective || a.index - b.index;
}

export interface ParamRun {
  /** Position in the grid. */
  index: number;
  params: ParamSet;
  objective: number | null;
  metrics: Metrics | null;
  /** Why the set was not run: it makes the rule invalid. */
  invalid?: string;
}

export interface SweepOptions {
  objective: Objective;
  minTrades?: number;
}

/** Each parameter set over the same bars; `first` is the index of sets[0] in the whole grid. */
export function runParamSets(series: BarSeries, spec: unknown, sets: readonly ParamSet[], config: BacktestConfigInput, options: SweepOptions, first = 0): ParamRun[] {
  const parsedConfig = parseBacktestConfig(config);
  return sets.map((params, k) => {
    const index = first + k;
    let rule: RuleSpec;
    try {
      rule = applyParams(spec, params);
    } catch (error) {
      if (error instanceof RuleSpecError) return { index, params, objective: null, metrics: null, invalid: error.message };
      throw error;
    }
    const { metrics } = runBacktest(series, ruleOutput(series, rule).target, parsedConfig);
    return { index, params, objective: objectiveOf(metrics, options.objective, options.minTrades), metrics };
  });
}

/** The runs best first (see compareObjective). */
export function rankRuns<T extends { objective: number | null; index: number }>(runs: readonly T[]): T[] {
  return [...runs].sort(compareObjective);
}

export interface ValidationSplit {
  inSample: { from: number; to: number; bars: number };
  outOfSample: { from: number; to: number; bars: number };
  params: ParamSet | null;
  inSampleObjective: number | null;
  outOfSampleObjective: number | null;
  outOfSampleMetrics: Metrics | null;
}

export interface ValidationResult {
  splits: ValidationSplit[];
  /** The out-of-sample windows chained into one curve. */
  equity: { ts: number[]; equity: number[] };
  metrics: Metrics | null;
  /** Mean of the splits' in-sample objectives. */
  inSampleObjective: number | null;
  outOfSampleObjective: number | null;
  /** Out-of-sample over in-sample objective: 1 keeps everything the optimisation promised, 0 or less keeps nothing. */
  efficiency: number | null;
}

export interface ValidationOptions extends SweepOptions, WalkForwardOptions {
  /** Called after each split with the number done. */
  onSplit?: (done: number, total: number) => void;
}

function lastOf(ts: Float64Array, index: number): number {
  return ts[index] as number;
}

/** Walk-forward validation of a grid over `series` (see the header for what each window sees). */
export function validateWalkForward(series: BarSeries, spec: unknown, sets: readonly ParamSet[], config: BacktestConfigInput, options: ValidationOptions): ValidationResult {
  const base: BacktestConfig = parseBacktestConfig(config);
  const splits = walkForward(series.close.length, options);
  if (splits.length === 0) throw new RangeError(`${series.close.length} bars hold no split of ${options.inSample} in-sample and ${options.outOfSample} out-of-sample bars`);
  const results: ValidationSplit[] = [];
  const ts: number[] = [];
  const equity: number[] = [];
  const trades: { pnl: number }[] = [];
  let capital = base.capital;
  let barsInMarket = 0;
  for (const [n, split] of splits.entries()) {
    const { inSample: is, outOfSample: oos } = split;
    // In-sample: bars [0, is.end) evaluated, [is.start, is.end) traded; nothing at or after is.end exists here.
    const seen = sliceSeries(series, 0, is.end);
    const trained = sliceSeries(seen, is.start, is.end);
    const runs = sets.map((params, index) => {
      let rule: RuleSpec;
      try {
        rule = applyParams(spec, params);
      } catch (error) {
        if (error instanceof RuleSpecError) return { index, params, rule: null, objective: null };
        throw error;
      }
      const target = ruleOutput(seen, rule).target.subarray(is.start, is.end);
      const { metrics } = runBacktest(trained, target, base);
      return { index, params, rule, objective: objectiveOf(metrics, options.objective, options.minTrades) };
    });
    const best = rankRuns(runs)[0];
    const window = { inSample: { from: lastOf(series.ts, is.start), to: lastOf(series.ts, is.end - 1), bars: is.end - is.start }, outOfSample: { from: lastOf(series.ts, oos.start), to: lastOf(series.ts, oos.end - 1), bars: oos.end - oos.start } };
    if (!best?.rule || best.objective === null) {
      results.push({ ...window, params: null, inSampleObjective: null, outOfSampleObjective: null, outOfSampleMetrics: null });
    } else {
      const upToEnd = sliceSeries(series, 0, oos.end);
      const target = ruleOutput(upToEnd, best.rule).target.subarray(oos.start, oos.end);
      const run = runBacktest(sliceSeries(series, oos.start, oos.end), target, { ...base, capital });
      results.push({ ...window, params: best.params, inSampleObjective: best.objective, outOfSampleObjective: run.metrics[options.objective], outOfSampleMetrics: run.metrics });
      ts.push(...series.ts.subarray(oos.start, oos.end));
      equity.push(...run.equity);
      trades.push(...run.trades);
      for (const side of run.position) if (side !== 0) barsInMarket++;
      capital = run.equity[run.equity.length - 1] as number;
    }
    options.onSplit?.(n + 1, splits.length);
  }
  const metrics = equity.length > 1 ? computeMetrics({ capital: base.capital, equity: Float64Array.from(equity), trades, barsInMarket, barsPerYear: base.barsPerYear, riskFree: base.riskFree }) : null;
  const inSample = results.map((s) => s.inSampleObjective).filter((v): v is number => v !== null);
  const inSampleObjective = inSample.length > 0 ? inSample.reduce((a, b) => a + b, 0) / inSample.length : null;
  const outOfSampleObjective = metrics ? metrics[options.objective] : null;
  const efficiency = inSampleObjective !== null && outOfSampleObjective !== null && inSampleObjective !== 0 ? outOfSampleObjective / inSampleObjective : null;
  return { splits: results, equity: { ts, equity }, metrics, inSampleObjective, outOfSampleObjective, efficiency };
}
