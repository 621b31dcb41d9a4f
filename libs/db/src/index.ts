export { createPools, type OwnPools, poolOptions, type Pools } from './pools.js';
export { isDatabaseUnavailable } from './unavailable.js';
export { InstrumentRepository, type InstrumentRow, type NewInstrumentRow } from './repositories/instruments.js';
export { StrategyRepository, type DeleteOutcome, type StrategyFields, type StrategyQuery, type StrategyRow } from './repositories/strategies.js';
export { FINISHED, runJobId, RunStates, type RunState } from './repositories/runs.js';
export {
  BACKTEST_SORTS,
  BacktestRepository,
  type BacktestOutcome,
  type BacktestQuery,
  type BacktestRow,
  type BacktestSort,
  type NewBacktest,
  type StoredTrade,
  type TradeRow,
} from './repositories/backtests.js';
export { StudyRepository, type NewStudy, type StudyKind, type StudyRow } from './repositories/studies.js';
export { CursorError, decodeCursor, encodeCursor } from './keyset.js';
export { ApiKeyRepository, type ApiKeyRow, type Scope } from './repositories/api-keys.js';
export { ingestBars, IngestRejected, type ChangedBars, type IngestCounts, type IngestRequest } from './bars/ingest.js';
export { type BarFormat, type Rejection } from './bars/parse.js';
export { parseTimestamp } from './bars/timestamp.js';
export { BarRepository, INTERVALS, ROLLUPS, rolledUpFrom, type BarColumns, type BarRange, type BarRow, type ExportFormat, type Interval } from './bars/repository.js';
export { MissingReferenceError, SignalEventRepository, type LatestSignalRow, type SignalEventRow } from './repositories/signal-events.js';
export { QueryLog, queryName, type QueryLogger, type QueryStats } from './query-log.js';
export { topStatements, type StatementRow, type TopStatements } from './stat-statements.js';
export { applyPendingRollups, rollupAsOf } from './bars/rollups.js';
export { deleteExpiredBars } from './bars/retention.js';
export { ensurePartitions } from './bars/partitions.js';
export { waitForReplica } from './replica.js';
