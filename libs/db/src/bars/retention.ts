import type pg from 'pg';
import { INTERVALS, type Interval } from './repository.js';

// Rows deleted per statement: each commit stays short, so uploads and vacuum are never held up for long.
const BATCH = 50_000;

/**
 * Deletes the bars of each listed interval older than its horizon (days before `now`), a batch at
 * a time, oldest first, one instrument after another. Only `bars`: the rollups keep the history the finer bars no longer hold.
 * Returns the rows deleted per interval and the symbols that lost bars.
 */
export async function deleteExpiredBars(pool: pg.Pool, days: Readonly<Record<string, number>>, now = new Date()): Promise<{ deleted: Record<string, number>; symbols: string[] }> {
  const deleted: Record<string, number> = {};
  const symbols = new Set<string>();
  for (const [interval, keep] of Object.entries(days)) {
    if (!INTERVALS.includes(interval as Interval)) throw new TypeError(`retention: unknown interval ${interval}`);
    const horizon = new Date(now.getTime() - keep * 86_400_000);
    deleted[interval] = 0;
    const instruments = await pool.query<{ id: number; symbol: string }>({ name: 'bars.retention.instruments', text: 'SELECT id, symbol FROM instruments ORDER BY id' });
    // One instrument at a time: each batch is a range of the primary key, never a scan of the table.
    for (const { id, symbol } of instruments.rows) {
      for (;;) {
        const { rowCount } = await pool.query({
          name: 'bars.retention.delete',
          text: `DELETE FROM bars WHERE ctid = ANY (ARRAY(
                   SELECT ctid FROM bars WHERE instrument_id = $1 AND interval = $2 AND ts < $3 ORDER BY ts LIMIT $4))`,
          values: [id, interval, horizon, BATCH],
        });
        deleted[interval] += rowCount ?? 0;
        if ((rowCount ?? 0) > 0) symbols.add(symbol);
        if ((rowCount ?? 0) < BATCH) break;
      }
    }
  }
  return { deleted, symbols: [...symbols] };
}
