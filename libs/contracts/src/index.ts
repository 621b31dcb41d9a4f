export { UPSTREAM_PREFIXES, UPSTREAM_NAMES, type UpstreamName } from './routes.js';
export { Problem, Symbol, SYMBOL_PATTERN } from './common.js';
export { AssetClass, Instrument, NewInstrument } from './instruments.js';
export { Gate, Gates, NewStrategy, Strategy, StrategyPage, StrategyPatch } from './strategies.js';
export {
  Accepted, Backtest, BacktestPage, BacktestRequest, EquityCurve, Objective, PortfolioRequest, PortfolioResult, RunState, StudyView, SweepRequest, Trade,
  TradePage, ValidationRequest,
} from './backtests.js';
export { Bar, BarPage, BarsRejected, BarPageQuery, BarSeriesQuery, IngestQuery, IngestResult, Interval } from './bars.js';
export {
  BatchRequest, EvaluateBody, IndicatorCatalogue, IndicatorQuery, IndicatorSeries, JobAccepted, JobStatus, LatestQuery, LatestSignals,
  SeasonalityQuery, SeasonalityTable, SignalEvent, SignalsQuery, SignalsResult,
} from './signals.js';
