import type pg from 'pg';

export type RunState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** Finished for good: nothing writes to the row again. */
export const FINISHED: readonly RunState[] = ['completed', 'failed', 'cancelled'];

/**
 * The life of a queued piece of research (a backtest, a sweep, a validation) as one row:
 * queued → running → completed | failed, or cancelled from either of the first two. Every
 * transition names the states it may leave, so a late or duplicated worker cannot undo a
 * cancellation or write a second result.
 */
export class RunStates {
  constructor(
    protected readonly write: pg.Pool,
    protected readonly read: pg.Pool,
    private readonly table: 'backtests' | 'studies',
  ) {}

  /**
   * Runs an `INSERT … ON CONFLICT (id) DO NOTHING RETURNING` and, when the id existed, reads the
   * row that holds it: the same request sent again finds its run. The id is a hash of the tenant
   * and the request, so another tenant's row under it would be a collision, and is refused.
   */
  protected async insertOnce<T>(query: pg.QueryConfig, existing: () => Promise<T | undefined>): Promise<{ row: T; created: boolean }> {
    const { rows } = await this.write.query<T & pg.QueryResultRow>(query);
    if (rows[0]) return { row: rows[0], created: true };
    const row = await existing();
    if (!row) throw new Error(`${this.table}: id ${String(query.values?.[0])} exists for another tenant`);
    return { row, created: false };
  }

  /** Marks a queued run as started; false when it was cancelled or is finished already. */
  async start(id: string): Promise<boolean> {
    const { rowCount } = await this.write.query({
      name: `${this.table}.start`,
      text: `UPDATE ${this.table} SET state = 'running'${this.table === 'backtests' ? ', started_at = now()' : ''} WHERE id = $1 AND state IN ('queued', 'running')`,
      values: [id],
    });
    return rowCount === 1;
  }

  /** The state now, from the primary: workers ask at their checkpoints whether to go on. */
  async state(id: string): Promise<RunState | undefined> {
    const { rows } = await this.write.query<{ state: RunState }>({ name: `${this.table}.state`, text: `SELECT state FROM ${this.table} WHERE id = $1`, values: [id] });
    return rows[0]?.state;
  }

  async fail(id: string, message: string): Promise<void> {
    await this.write.query({
      name: `${this.table}.fail`,
      text: `UPDATE ${this.table} SET state = 'failed', error = $2, finished_at = now() WHERE id = $1 AND state IN ('queued', 'running')`,
      values: [id, message],
    });
  }

  /** Whether this call cancelled the run (`changed`) and the state it is in; undefined for an unknown id. */
  async cancel(tenant: string, id: string): Promise<{ state: RunState; changed: boolean } | undefined> {
    const { rows } = await this.write.query<{ state: RunState; changed: boolean }>({
      name: `${this.table}.cancel`,
      text: `WITH cancelled AS (
               UPDATE ${this.table} SET state = 'cancelled', error = 'cancelled by the owner', finished_at = now()
               WHERE tenant = $1 AND id = $2 AND state IN ('queued', 'running') RETURNING state)
             SELECT state, true AS changed FROM cancelled
             UNION ALL SELECT state, false AS changed FROM ${this.table} WHERE tenant = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM cancelled)`,
      values: [tenant, id],
    });
    return rows[0];
  }

  /**
   * A failed or cancelled run asked for again is queued again under its next run number; the
   * number makes the queue's job id new. Undefined when the run is queued, running or completed.
   */
  async requeue(tenant: string, id: string): Promise<number | undefined> {
    const { rows } = await this.write.query<{ runs: number }>({
      name: `${this.table}.requeue`,
      text: `UPDATE ${this.table} SET state = 'queued', runs = runs + 1, error = NULL, finished_at = NULL
             WHERE tenant = $1 AND id = $2 AND state IN ('failed', 'cancelled') RETURNING runs`,
      values: [tenant, id],
    });
    return rows[0]?.runs;
  }
}

/** The queue's job id for a run: one per run number, so a requeued run is a new job. */
export const runJobId = (id: string, runs: number): string => (runs <= 1 ? id : `${id}-r${runs}`);
