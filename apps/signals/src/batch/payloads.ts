import type { Interval } from '@meridian/db';
import type { RuleSpec } from '@meridian/market';

export interface BatchRule {
  hash: string;
  spec: RuleSpec;
}

/** signals.batch: the request as normalised at submission. */
export interface BatchJobData {
  tenant: string;
  symbols: string[];
  rules: BatchRule[];
  interval: Interval;
}

/** signals.symbol: one symbol of a batch, every rule. */
export interface SymbolJobData {
  batchId: string;
  tenant: string;
  symbol: string;
  rules: BatchRule[];
  interval: Interval;
}

export interface SymbolResult {
  symbol: string;
  rules: number;
  events: number;
}

export interface BatchResult {
  symbols: number;
  done: number;
  failed: number;
  rules: number;
  events: number;
  errors: { symbol: string; message: string }[];
}

/** Children are named by their position in the batch: symbols may contain characters ids may not. */
export const childId = (batchId: string, index: number): string => `${batchId}-${index}`;
