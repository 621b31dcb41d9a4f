import type pg from 'pg';
import { partitionOf } from './partitions.js';
import { INTERVALS, type Interval } from './repository.js';

// Rows deleted per statement: each commit stays short, so uploads and vacuum are never held up for long.
const BATCH = 50_000;

/**
 * The time partitions of an interval that lie wholly before `horizon`, detached without blocking
 * reads or uploads and then dropped: the cheap part of retention, whatever their size. Returns
 * the rows they held, per instrument.
 */
async function dropExpiredPartitions(pool: pg.Pool, interval: string, horizon: Date): Promise<Map<number, number>> {
  const dropped = new Map<number, number>();
  const parent = partitionOf(interval, 0)?.parent;
  if (!parent) return dropped;
  const { rows } = await pool.query<{ name: string; pending: boolean }>({
    name: 'bars.retention.partitions',
    text: `SELECT c.relname AS name, i.inhdetachpending AS pending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = $1::regclass
             AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz <= $2`,
    values: [parent, horizon],
  });
  for (const { name, pending } of rows) {
    // Names come from the catalog's partitions of a fixed parent.
    const counts = await pool.query<{ instrument_id: number; n: string }>(`SELECT instrument_id, count(*) AS n FROM ${name} GROUP BY instrument_id`);
    // A detach that an earlier run started and did not finish (cancelled, or the process died) is finished instead.
    await pool.query(`ALTER TABLE ${parent} DETACH PARTITION ${name} ${pending ? 'FINALIZE' : 'CONCURRENTLY'}`);
    await pool.query(`DROP TABLE ${name}`);
    for (const row of counts.rows) dropped.set(row.instrument_id, (dropped.get(row.instrument_id) ?? 0) + Number(row.n));
  }
  return dropped;
}

/**
 * Removes the bars of each listed interval older than its horizon (days before `now`): time
 * partitions wholly past it are dropped, and what remains before it is deleted a batch at a time,
 * one instrument after another. Only `bars`: the rollups keep the history the finer bars no longer
 * hold. Returns the rows removed per interval and the symbols that lost bars.
 */
export async function deleteExpiredBars(pool: pg.Pool, days: Readonly<Record<string, number>>, now = new Date()): Promise<{ deleted: Record<string, number>; symbols: string[] }> {
  const deleted: Record<string, number> = {};
  const symbols = new Set<string>();
  for (const interval of Object.keys(days)) if (!INTERVALS.includes(interval as Interval)) throw new TypeError(`retention: unknown interval ${interval}`);
  const instruments = await pool.query<{ id: number; symbol: string }>({ name: 'bars.retention.instruments', text: 'SELECT id, symbol FROM instruments ORDER BY id' });
  for (const [interval, keep] of Object.entries(days)) {
    const horizon = new Date(now.getTime() - keep * 86_400_000);
    const dropped = await dropExpiredPartitions(pool, interval, horizon);
    deleted[interval] = [...dropped.values()].reduce((sum, n) => sum + n, 0);
    for (const { id, symbol } of instruments.rows) if (dropped.has(id)) symbols.add(symbol);
    // One instrument at a time: each batch is a range of the primary key, never a scan of the table.
    for (const { id, symbol } of instruments.rows) {
      for (;;) {
        // Up to the BATCH+1-th expired bar: exactly BATCH rows while more remain.
        const { rowCount } = await pool.query({
          name: 'bars.retention.delete',
          text: `DELETE FROM bars WHERE instrument_id = $1 AND interval = $2 AND ts < coalesce(
                   (SELECT ts FROM bars WHERE instrument_id = $1 AND interval = $2 AND ts < $3 ORDER BY ts OFFSET $4 LIMIT 1), $3)`,
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
