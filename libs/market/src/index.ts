export { emptySeries, finiteOrNull, nanArray, sliceSeries, toNullable, toSeries, type BarLike, type BarSeries } from './series.js';
export { ema, sma, wilder, wma } from './indicators/moving-averages.js';
export { macd, momentum, roc, rsi, stochastic, type Macd, type Stochastic } from './indicators/momentum.js';
export { rollingMax, rollingMin, rollingStd } from './indicators/rolling.js';
export { atr, bollinger, donchian, trueRange, volatility, zscore, type Bands } from './indicators/volatility.js';
export { adx, type DirectionalMovement } from './indicators/trend.js';
export { obv, vwap } from './indicators/volume.js';
export { IndicatorParamsError, indicators, resolveIndicator, type IndicatorSpec, type ParamSpec, type Params } from './indicators/catalogue.js';
export { parseRuleSpec, RuleSpecError, RuleSpecSchema, ruleTypes, type RuleProblem, type RuleSpec } from './rules/spec.js';
export { evaluateRule, eventsFrom, ruleOutput, type Evaluation, type RuleOutput, type SignalEvent } from './rules/evaluate.js';
export { seasonality, type SeasonalityBucket, type SeasonalityBy, type SeasonalityOptions } from './seasonality.js';
export { BacktestConfigSchema, parseBacktestConfig, type BacktestConfig, type BacktestConfigInput } from './backtest/config.js';
export { backtest, runBacktest, type BacktestResult, type ExitReason, type OpenPosition, type Trade } from './backtest/engine.js';
export { computeMetrics, equityReturns, type Metrics } from './backtest/metrics.js';
export { expandGrid, MAX_GRID, walkForward, type ParamSet, type ParamValues, type WalkForwardOptions, type WalkForwardSplit } from './backtest/grid.js';
export { covariance, ledoitWolf, type Matrix, type Shrunk } from './portfolio/covariance.js';
export { equalRiskContribution, maximumSharpe, minimumVariance, riskContributions, type WeightOptions } from './portfolio/weights.js';
export {
  applyParams,
  compareObjective,
  OBJECTIVES,
  objectiveOf,
  rankRuns,
  runParamSets,
  validateWalkForward,
  warmupBars,
  type Objective,
  type ParamRun,
  type SweepOptions,
  type ValidationOptions,
  type ValidationResult,
  type ValidationSplit,
} from './backtest/research.js';
export { evaluateGates, GATE_METRICS, GatesSchema, type GateMetric, type GateReport, type Gates, type GateVerdict } from './backtest/gates.js';
export { rebalancedEquity, type RebalancePeriod } from './portfolio/rebalance.js';
