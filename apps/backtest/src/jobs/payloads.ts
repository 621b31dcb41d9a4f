import type { Interval } from '@meridian/db';
import type { Objective, ParamRun, ParamSet } from '@meridian/market';

/** A queued backtest or validation: the row holds the request; the job only names it. */
export interface RunJobData {
  id: string;
  tenant: string;
}

/** The parent of a sweep: ranks its chunks once they are done. */
export interface SweepJobData extends RunJobData {
  total: number;
  top: number;
}

/** One chunk of a sweep: everything needed to run its sets without reading the sweep's row. */
export interface ChunkJobData extends RunJobData {
  first: number;
  sets: ParamSet[];
  window: { symbol: string; interval: Interval; from: number | null; to: number | null };
  spec: Record<string, unknown>;
  config: Record<string, unknown>;
  objective: Objective;
  minTrades: number;
}

export interface ChunkResult {
  runs: ParamRun[];
  /** Which worker process ran the chunk. */
  worker: string;
  cancelled?: boolean;
}

/** Parameter sets per sweep chunk: large enough that loading bars is a small share of a chunk. */
export const CHUNK_SIZE = 50;
