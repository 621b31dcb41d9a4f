import { MissingReferenceError, type Pools } from '@meridian/db';
import { evaluateRule, RuleSpecError, parseRuleSpec } from '@meridian/market';
import { HttpProblem } from '@meridian/service';
import { type Job, UnrecoverableError } from 'bullmq';
import type { MarketData } from '../market-data.js';
import type { SignalResults } from '../signals.js';
import type { BatchJobData, BatchResult, SymbolJobData, SymbolResult } from './payloads.js';

export interface ProcessDeps {
  db: Pools;
  market: MarketData;
  results: SignalResults;
}

/**
 * Bad input, or events whose instrument or rule is gone, fail the job at once: retrying cannot
 * fix them. Anything else (database, Redis) is retried.
 */
function unrecoverable(error: unknown): never {
  if (error instanceof RuleSpecError || error instanceof MissingReferenceError || (error instanceof HttpProblem && error.statusCode < 500)) throw new UnrecoverableError(error.message);
  throw error;
}

/**
 * Every rule over one symbol's bars; events upserted (a retry rewrites the same rows) and the
 * result cached for the plain GET /v1/signals.
 */
export async function processSymbol(deps: ProcessDeps, job: Job<SymbolJobData>): Promise<SymbolResult> {
  const { tenant, symbol, interval, rules, batchId } = job.data;
  try {
    const specs = rules.map((rule) => ({ hash: rule.hash, spec: parseRuleSpec(rule.spec) }));
    const instrumentId = await deps.market.instrumentId(symbol);
    const series = await deps.market.series(symbol, interval);
    const results = specs.map(({ hash, spec }) => ({ hash, spec, evaluation: evaluateRule(series, spec) }));
    const rows = results.flatMap(({ hash, evaluation }) =>
      evaluation.events.map((event) => ({ ruleHash: hash, ts: event.ts, side: event.side, target: event.target, strength: event.strength, price: series.close[event.index] as number })),
    );
    const events = await deps.results.events.upsert({ tenant, instrumentId, interval, jobId: batchId }, rows);
    await deps.results.warm(tenant, symbol, interval, series, results);
    return { symbol, rules: specs.length, events };
  } catch (error) {
    return unrecoverable(error);
  }
}

/** Runs once every child finished (or failed for good): sums them up. */
export async function processBatch(job: Job<BatchJobData>): Promise<BatchResult> {
  const values = Object.values(await job.getChildrenValues<SymbolResult>());
  const errors = failuresOf(job.data, await job.getIgnoredChildrenFailures());
  const result: BatchResult = {
    symbols: job.data.symbols.length,
    done: values.length,
    failed: errors.length,
    rules: job.data.rules.length,
    events: values.reduce((sum, value) => sum + value.events, 0),
    errors,
  };
  if (values.length === 0) throw new UnrecoverableError(`Every symbol failed: ${errors.map((e) => `${e.symbol}: ${e.message}`).join('; ')}`);
  return result;
}

/** Child failures keyed "<prefix>:<queue>:<batch id>-<index>", as BullMQ reports them, by symbol. */
export function failuresOf(data: BatchJobData, failures: Record<string, string>): { symbol: string; message: string }[] {
  return Object.entries(failures).map(([key, message]) => {
    const index = Number(key.slice(key.lastIndexOf('-') + 1));
    return { symbol: data.symbols[index] ?? key, message };
  });
}
