export { createPools, type Pools } from './pools.js';
export { InstrumentRepository, type InstrumentRow, type NewInstrumentRow } from './repositories/instruments.js';
export { StrategyRepository, type StrategyRow } from './repositories/strategies.js';
export { ApiKeyRepository, type ApiKeyRow, type Scope } from './repositories/api-keys.js';
export { ingestBars, IngestRejected, type IngestCounts, type IngestRequest } from './bars/ingest.js';
export { type BarFormat, type Rejection } from './bars/parse.js';
export { parseTimestamp } from './bars/timestamp.js';
export { BarRepository, INTERVALS, type BarColumns, type BarRange, type BarRow, type ExportFormat, type Interval } from './bars/repository.js';
export { SignalEventRepository, type LatestSignalRow, type SignalEventRow } from './repositories/signal-events.js';
