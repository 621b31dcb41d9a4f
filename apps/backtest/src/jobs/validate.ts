import { evaluateGates, validateWalkForward, type Gates, type Objective, type ParamValues } from '@meridian/market';
import type { Job } from 'bullmq';
import { gridSets } from '../requests.js';
import type { JobContext } from './context.js';
import type { RunJobData } from './payloads.js';

interface ValidationRow {
  spec: Record<string, unknown>;
  config: Record<string, unknown>;
  symbol: string;
  interval: string;
  from: string | null;
  to: string | null;
  grid: Record<string, ParamValues>;
  objective: Objective;
  constraints?: { where?: string[]; minTrades?: number };
  mode: 'rolling' | 'anchored';
  inSample: number;
  outOfSample: number;
}

/** Walk-forward: per split, the grid optimised in-sample and its winner run out-of-sample; progress per split. */
export async function runValidation(ctx: JobContext, job: Job<RunJobData>): Promise<{ written: boolean }> {
  const { id, tenant } = job.data;
  if (!(await ctx.studies.start(id))) return { written: false };
  const study = await ctx.studies.get(tenant, 'validation', id);
  if (!study) return { written: false };
  const request = study.request as unknown as ValidationRow;
  const series = await ctx.bars.load({
    symbol: request.symbol,
    interval: request.interval as never,
    from: request.from === null ? undefined : Date.parse(request.from),
    to: request.to === null ? undefined : Date.parse(request.to),
  });
  const sets = gridSets(request.grid, request.constraints?.where ?? []);
  const progress: Promise<void>[] = [];
  const result = validateWalkForward(series, request.spec, sets, request.config, {
    objective: request.objective,
    minTrades: request.constraints?.minTrades ?? 0,
    mode: request.mode,
    inSample: request.inSample,
    outOfSample: request.outOfSample,
    onSplit: (done, total) => void progress.push(job.updateProgress(Math.min(99, Math.floor((done / total) * 100)))),
  });
  await Promise.all(progress);
  if ((await ctx.studies.state(id)) === 'cancelled') return { written: false };
  const strategy = study.strategyId ? await ctx.strategies.get(tenant, study.strategyId) : undefined;
  const gates = strategy?.gates && result.metrics ? evaluateGates(strategy.gates as Gates, result.metrics) : null;
  await ctx.pause?.(job, 'write');
  return { written: await ctx.studies.complete(id, result, gates) };
}
