import type pg from 'pg';
import { type Interval, rollupsFrom } from './repository.js';

/**
 * Refreshes the rollup views derived from an interval. CONCURRENTLY: readers keep the previous
 * contents until the new ones are committed, never waiting on the refresh.
 */
export async function refreshRollups(pool: pg.Pool, interval: Interval): Promise<{ view: string; ms: number }[]> {
  const refreshed: { view: string; ms: number }[] = [];
  for (const view of rollupsFrom(interval)) {
    const client = await pool.connect();
    const started = performance.now();
    try {
      await client.query('BEGIN');
      // A refresh over years of minute bars may take longer than the statement timeout.
      await client.query('SET LOCAL statement_timeout = 0');
      // The view name comes from the fixed ROLLUPS table, never from a request.
      await client.query({ name: `rollups.refresh.${view}`, text: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${view}` });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    refreshed.push({ view, ms: Math.round(performance.now() - started) });
  }
  return refreshed;
}
