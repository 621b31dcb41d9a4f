import { backtest, evaluateGates, parseRuleSpec, type Gates } from '@meridian/market';
import type { Job } from 'bullmq';
import type { JobContext } from './context.js';
import type { RunJobData } from './payloads.js';

export interface RunOutcome {
  /** False when another worker wrote the result first, or the backtest was cancelled. */
  written: boolean;
}

/** The gates of the backtest's strategy as they are now, or none. */
async function gatesOf(ctx: JobContext, tenant: string, strategyId: string | null): Promise<Gates | null> {
  if (!strategyId) return null;
  return ((await ctx.strategies.get(tenant, strategyId))?.gates as Gates | null | undefined) ?? null;
}

/**
 * Loads the bars, runs the engine and writes the result, trades and curve once. Cancellation is
 * checked before the bars are read and again before the result is written.
 */
export async function runBacktestJob(ctx: JobContext, job: Job<RunJobData>): Promise<RunOutcome> {
  const { id, tenant } = job.data;
  if (!(await ctx.backtests.start(id))) return { written: false };
  const row = await ctx.backtests.get(tenant, id);
  if (!row) return { written: false };
  const request = row.request as { spec: unknown; config: Record<string, unknown>; symbol: string; interval: string; from: string | null; to: string | null };
  await job.updateProgress(10);
  const series = await ctx.bars.load({
    symbol: request.symbol,
    interval: row.interval as never,
    from: request.from === null ? undefined : Date.parse(request.from),
    to: request.to === null ? undefined : Date.parse(request.to),
  });
  await job.updateProgress(40);
  if ((await ctx.backtests.state(id)) === 'cancelled') return { written: false };
  const result = backtest(series, parseRuleSpec(request.spec), request.config);
  await job.updateProgress(80);
  const gates = await gatesOf(ctx, tenant, row.strategyId);
  await ctx.pause?.(job, 'write');
  const written = await ctx.backtests.complete(id, {
    metrics: { ...result.metrics },
    finalValue: result.equity[result.equity.length - 1] ?? result.config.capital,
    gates: gates ? evaluateGates(gates, result.metrics) : null,
    trades: result.trades,
    equity: { ts: series.ts, equity: result.equity, close: series.close },
  });
  await ctx.pause?.(job, 'written');
  await job.updateProgress(100);
  return { written };
}
