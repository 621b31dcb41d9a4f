import type pg from 'pg';
import { type Interval, ROLLUPS, rolledUpFrom } from './repository.js';

/** Each rollup's bucket, in UTC, and its length. */
const BUCKETS: Record<keyof typeof ROLLUPS, { unit: string; length: string }> = {
  '1w': { unit: 'week', length: '1 week' },
  '1mo': { unit: 'month', length: '1 month' },
  '1h': { unit: 'hour', length: '1 hour' },
  '1d': { unit: 'day', length: '1 day' },
};

const bucketOf = (served: keyof typeof ROLLUPS, value: string) => `date_trunc('${BUCKETS[served].unit}', ${value} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;

/**
 * Recomputes the buckets of one rollup that overlap [$2, $3] for instrument $1 from the finer
 * bars, and writes those that differ. The names come from the fixed ROLLUPS table, never from a request.
 */
function upsertSql(served: keyof typeof ROLLUPS): string {
  const { table: view, from } = ROLLUPS[served];
  const bucket = bucketOf(served, 'ts');
  return `INSERT INTO ${view} (instrument_id, interval, ts, open, high, low, close, volume)
    SELECT instrument_id, '${served}', ${bucket}, (array_agg(open ORDER BY ts))[1], max(high), min(low), (array_agg(close ORDER BY ts DESC))[1], sum(volume)
    FROM bars
    WHERE instrument_id = $1 AND interval = '${from}'
      AND ts >= ${bucketOf(served, '$2::timestamptz')} AND ts < ${bucketOf(served, '$3::timestamptz')} + interval '${BUCKETS[served].length}'
    GROUP BY instrument_id, ${bucket}
    ON CONFLICT (instrument_id, ts) DO UPDATE
      SET open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume
      WHERE (${view}.open, ${view}.high, ${view}.low, ${view}.close, ${view}.volume) IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)`;
}

/**
 * Notes, in the upload's own transaction, the span of bars of `interval` it changed: the rollup job
 * recomputes the buckets of that span. Nothing to note for an interval nothing is rolled up from.
 */
export async function notePendingRollup(client: pg.PoolClient, instrumentId: number, interval: string, fromMs: number, toMs: number): Promise<void> {
  if (rolledUpFrom(interval as Interval).length === 0) return;
  await client.query({
    name: 'rollups.note',
    text: `INSERT INTO rollup_pending (instrument_id, interval, from_ts, to_ts)
           VALUES ($1, $2, timestamptz 'epoch' + $3::bigint * interval '1 millisecond', timestamptz 'epoch' + $4::bigint * interval '1 millisecond')`,
    values: [instrumentId, interval, fromMs, toMs],
  });
}

interface Span {
  instrumentId: number;
  from: Date;
  to: Date;
}

/** Overlapping spans of one instrument merged, so a bucket is recomputed once per run. */
function merge(spans: Span[]): Span[] {
  const merged: Span[] = [];
  for (const span of [...spans].sort((a, b) => a.instrumentId - b.instrumentId || a.from.getTime() - b.from.getTime())) {
    const last = merged.at(-1);
    if (last && last.instrumentId === span.instrumentId && span.from <= last.to) last.to = span.to > last.to ? span.to : last.to;
    else merged.push({ ...span });
  }
  return merged;
}

// Spans taken per transaction: a backlog is worked off in bounded steps.
const TAKE = 500;

/**
 * Brings the rollups derived from `interval` up to date with the uploads noted so far: takes the
 * noted spans (rows another run holds are skipped), recomputes their buckets and deletes the
 * notes, in one transaction per step, so a failure leaves them for the next run.
 */
export async function applyPendingRollups(pool: pg.Pool, interval: Interval): Promise<{ spans: number; buckets: number }> {
  const served = rolledUpFrom(interval);
  const done = { spans: 0, buckets: 0 };
  if (served.length === 0) return done;
  for (;;) {
    const client = await pool.connect();
    let taken = 0;
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL statement_timeout = 0');
      const { rows } = await client.query<{ instrument_id: number; from_ts: Date; to_ts: Date }>({
        name: 'rollups.take',
        text: `DELETE FROM rollup_pending WHERE id IN (
                 SELECT id FROM rollup_pending WHERE interval = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
               RETURNING instrument_id, from_ts, to_ts`,
        values: [interval, TAKE],
      });
      taken = rows.length;
      for (const span of merge(rows.map((row) => ({ instrumentId: row.instrument_id, from: row.from_ts, to: row.to_ts })))) {
        for (const rollup of served) {
          const result = await client.query({ name: `rollups.upsert.${rollup}`, text: upsertSql(rollup), values: [span.instrumentId, span.from, span.to] });
          done.buckets += result.rowCount ?? 0;
        }
      }
      await client.query('COMMIT');
      done.spans += taken;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    if (taken < TAKE) return done;
  }
}

/**
 * When the rollups of an instrument derived from `interval` were last complete: now when nothing
 * is pending, else the time the oldest pending upload was noted (every upload before it is in).
 */
export async function rollupAsOf(pool: pg.Pool, instrumentId: number, interval: Interval): Promise<Date> {
  const { rows } = await pool.query<{ as_of: Date }>({
    name: 'rollups.as-of',
    text: 'SELECT coalesce(min(queued_at), now()) AS as_of FROM rollup_pending WHERE instrument_id = $1 AND interval = $2',
    values: [instrumentId, interval],
  });
  return rows[0]?.as_of ?? new Date();
}
