export { createPools, type Pools } from './pools.js';
export { InstrumentRepository, type InstrumentRow, type NewInstrumentRow } from './repositories/instruments.js';
export { StrategyRepository, type StrategyRow } from './repositories/strategies.js';
export { ApiKeyRepository, type ApiKeyRow, type Scope } from './repositories/api-keys.js';
