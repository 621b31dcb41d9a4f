import { BacktestRepository, StrategyRepository, StudyRepository, type Pools, type RunStates } from '@meridian/db';
import { RuleSpecError } from '@meridian/market';
import { type Job, UnrecoverableError } from 'bullmq';
import { BarSource } from '../bars.js';

/** What every processor reads and writes through. */
export interface JobContext {
  backtests: BacktestRepository;
  studies: StudyRepository;
  strategies: StrategyRepository;
  bars: BarSource;
  /** Names this worker process in results (which process ran a sweep's chunk). */
  worker: string;
  /** Called just before a result is written and just after: tests hold a job there to cancel it or kill its worker. */
  pause?: Pause | undefined;
}

export type Pause = (job: Job, at: 'write' | 'written') => Promise<void>;

export function jobContext(db: Pools, worker: string, pause?: Pause): JobContext {
  return {
    backtests: new BacktestRepository(db.write, db.read),
    studies: new StudyRepository(db.write, db.read),
    strategies: new StrategyRepository(db.write, db.read),
    bars: new BarSource(db),
    worker,
    pause,
  };
}

/**
 * Runs a processor; bad input fails the job at once, anything else (database, Redis) is retried.
 * When the job will not be tried again its row is marked failed with the reason.
 */
export async function settle<T>(job: Job<{ id: string }>, states: RunStates, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const final = error instanceof RuleSpecError || error instanceof RangeError || error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) await states.fail(job.data.id, (error as Error).message);
    throw final && !(error instanceof UnrecoverableError) ? new UnrecoverableError((error as Error).message) : error;
  }
}
