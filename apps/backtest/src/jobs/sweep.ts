import { evaluateGates, rankRuns, runParamSets, type Gates, type ParamRun } from '@meridian/market';
import { type Job, UnrecoverableError } from 'bullmq';
import type { JobContext } from './context.js';
import type { ChunkJobData, ChunkResult, SweepJobData } from './payloads.js';

/** One chunk of parameter sets over the sweep's bars; nothing is run once the sweep is cancelled. */
export async function runChunk(ctx: JobContext, job: Job<ChunkJobData>): Promise<ChunkResult> {
  const { id, window, spec, config, objective, minTrades, sets, first } = job.data;
  if ((await ctx.studies.state(id)) === 'cancelled') return { runs: [], worker: ctx.worker, cancelled: true };
  await ctx.studies.start(id);
  const series = await ctx.bars.load({ ...window, from: window.from ?? undefined, to: window.to ?? undefined });
  return { runs: runParamSets(series, spec, sets, config, { objective, minTrades }, first), worker: ctx.worker };
}

export interface SweepResult {
  objective: string;
  combinations: number;
  /** Sets that made the rule invalid: not run. */
  invalid: number;
  /** The best `top` runs, best first, with full metrics. */
  top: (ParamRun & { rank: number })[];
  /** Every set's objective value in grid order: enough for a heatmap. */
  grid: { params: ParamRun['params']; objective: number | null }[];
  /** Chunks per worker process. */
  workers: Record<string, number>;
}

/** Runs once every chunk is done: ranks all runs and writes the sweep's result once. */
export async function finishSweep(ctx: JobContext, job: Job<SweepJobData>): Promise<{ written: boolean }> {
  const { id, tenant, top } = job.data;
  const failures = Object.values(await job.getIgnoredChildrenFailures());
  if (failures.length > 0) throw new UnrecoverableError(`${failures.length} chunk(s) of the sweep failed: ${failures[0]}`);
  const chunks = Object.values(await job.getChildrenValues<ChunkResult>());
  if (chunks.some((chunk) => chunk.cancelled) || (await ctx.studies.state(id)) === 'cancelled') return { written: false };
  const runs = chunks.flatMap((chunk) => chunk.runs).sort((a, b) => a.index - b.index);
  const ranked = rankRuns(runs);
  const study = await ctx.studies.get(tenant, 'sweep', id);
  const objective = (study?.request as { objective?: string } | undefined)?.objective ?? 'sharpe';
  const workers: Record<string, number> = {};
  for (const chunk of chunks) workers[chunk.worker] = (workers[chunk.worker] ?? 0) + 1;
  const result: SweepResult = {
    objective,
    combinations: runs.length,
    invalid: runs.filter((run) => run.invalid !== undefined).length,
    top: ranked.slice(0, top).filter((run) => run.metrics !== null).map((run, i) => ({ ...run, rank: i + 1 })),
    grid: runs.map((run) => ({ params: run.params, objective: run.objective })),
    workers,
  };
  const strategy = study?.strategyId ? await ctx.strategies.get(tenant, study.strategyId) : undefined;
  const best = result.top[0];
  const gates = strategy?.gates && best?.metrics ? evaluateGates(strategy.gates as Gates, best.metrics) : null;
  await ctx.pause?.(job, 'write');
  return { written: await ctx.studies.complete(id, result, gates) };
}
