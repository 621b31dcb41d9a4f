import type { RunState, RunStates } from '@meridian/db';
import { HttpProblem } from '@meridian/service';

export interface Submission {
  id: string;
  state: RunState;
  /** False when the same request was already queued, running or done: nothing new runs. */
  created: boolean;
}

/**
 * Stores a run keyed by its deterministic id and queues it. The same request again finds the
 * row: a queued, running or completed run is returned as it is; a failed or cancelled one runs
 * again under its next run number.
 */
export async function submitRun(
  states: RunStates,
  tenant: string,
  insert: () => Promise<{ row: { id: string; state: RunState; runs: number }; created: boolean }>,
  queue: (runs: number) => Promise<void>,
): Promise<Submission> {
  const { row, created } = await insert();
  let runs = row.runs;
  if (!created) {
    const again = await states.requeue(tenant, row.id);
    if (again === undefined) return { id: row.id, state: row.state, created: false };
    runs = again;
  }
  try {
    await queue(runs);
  } catch (error) {
    await states.fail(row.id, 'Could not be queued: Redis did not answer. Send the same request again to retry.');
    throw new HttpProblem(503, 'queue-unavailable', `The job could not be queued (${(error as Error).message}). Send the same request again shortly.`);
  }
  return { id: row.id, state: 'queued', created: true };
}
