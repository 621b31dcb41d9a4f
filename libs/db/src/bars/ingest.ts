import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { BatchWriter, moveStaged, type BatchTarget } from './batches.js';
import { BarParser, type BarFormat, LineTooLong, type Rejection } from './parse.js';
import { ensurePartitions } from './partitions.js';
import { notePendingRollup } from './rollups.js';

export interface IngestCounts {
  /** Valid data lines in the file. */
  rows: number;
  inserted: number;
  /** Bars that existed with other values and were overwritten. */
  updated: number;
  /** Bars that existed with the same values. */
  unchanged: number;
  /** With `changedLimit`: the latest bars this upload inserted or changed, oldest first. */
  changed?: ChangedBars;
}

export interface ChangedBars {
  bars: { ts: number; open: number; high: number; low: number; close: number; volume: number | null }[];
  /** More bars changed than `changedLimit`: only the latest are listed. */
  truncated: boolean;
}

/** The file had bad lines; nothing was written. */
export class IngestRejected extends Error {
  constructor(
    readonly rows: number,
    readonly rejected: number,
    readonly rejections: Rejection[],
  ) {
    super(`${rejected} line(s) rejected; nothing was stored`);
  }
}

export interface IngestRequest {
  instrumentId: number;
  interval: string;
  format: BarFormat;
  source: Readable;
  /** Characters of COPY text per batch; the default suits production, tests make it small. */
  batchChars?: number;
  /** List up to this many of the bars the upload inserted or changed (for live subscribers). */
  changedLimit?: number;
}

/** The bars this transaction wrote in the upload's span, newest first up to `limit`: what subscribers need to hear of. */
async function changedBars(client: pg.PoolClient, request: IngestRequest, minTs: number, maxTs: number, limit: number): Promise<ChangedBars> {
  if (!(maxTs >= minTs)) return { bars: [], truncated: false };
  const { rows } = await client.query<{ ts: number; open: number; high: number; low: number; close: number; volume: number | null }>({
    name: 'bars.ingest.changed',
    text: `SELECT (extract(epoch FROM ts) * 1000)::float8 AS ts, open, high, low, close, volume FROM bars
           WHERE instrument_id = $1 AND interval = $2 AND xmin = pg_current_xact_id()::xid
             AND ts BETWEEN timestamptz 'epoch' + $3::bigint * interval '1 millisecond' AND timestamptz 'epoch' + $4::bigint * interval '1 millisecond'
           ORDER BY ts DESC LIMIT $5`,
    values: [request.instrumentId, request.interval, minTs, maxTs, limit + 1],
  });
  const truncated = rows.length > limit;
  return { bars: rows.slice(0, limit).reverse(), truncated };
}

const MAX_DUPLICATES = 20;

/**
 * Stores a whole bar file or nothing, in one transaction. Lines are parsed as they stream in and
 * reach `bars` through a per-transaction staging table a batch at a time (backpressure all the
 * way, so memory does not grow with the file); each batch is upserted, so a re-sent file
 * changes nothing.
 */
export async function ingestBars(pool: pg.Pool, request: IngestRequest): Promise<IngestCounts> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    // The transaction lasts as long as the upload: the pool's statement timeout is sized for queries.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('CREATE TEMP TABLE bars_staging (line integer, ts bigint, open float8, high float8, low float8, close float8, volume float8) ON COMMIT DROP');
    const parser = new BarParser(request.format);
    const target = { ...request, ensurePartitions: (fromMs: number, toMs: number) => ensurePartitions(client, pool.options, request.interval, fromMs, toMs) };
    const writer = new BatchWriter(client, target, parser.summary, request.batchChars);
    await pipeline(request.source, parser, writer).catch((error: unknown) => {
      throw error instanceof LineTooLong ? new IngestRejected(parser.summary.rows, 1, [{ line: error.line, reason: error.reason }]) : error;
    });
    const { summary } = parser;
    if (summary.rejected > 0) throw new IngestRejected(summary.rows, summary.rejected, summary.rejections);
    const { inserted, updated } = writer.written;
    let counts: IngestCounts;
    if (writer.accumulating) {
      await rejectDuplicates(client, request, summary.rows);
      const rest = await moveStaged(client, target, summary.minTs, summary.maxTs);
      counts = { rows: summary.rows, inserted: inserted + rest.inserted, updated: updated + rest.updated, unchanged: summary.rows - inserted - updated - rest.inserted - rest.updated };
    } else {
      counts = { rows: summary.rows, inserted, updated, unchanged: summary.rows - inserted - updated };
    }
    // The rollup job recomputes the buckets of the file's span: what this upload can have changed.
    if (counts.inserted + counts.updated > 0) await notePendingRollup(client, request.instrumentId, request.interval, summary.minTs, summary.maxTs);
    if (request.changedLimit !== undefined && counts.inserted + counts.updated > 0) counts.changed = await changedBars(client, request, summary.minTs, summary.maxTs, request.changedLimit);
    await client.query('COMMIT');
    return counts;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollback: Error) => {
      broken = rollback;
    });
    throw error;
  } finally {
    // A COPY cut off mid-stream can leave the connection unusable: discard it rather than pool it.
    client.release(broken);
  }
}

/**
 * Refuses a file whose timestamps repeat: among the rows still staged, and between them and the
 * rows earlier batches of this same file wrote (their xmin is this transaction).
 */
async function rejectDuplicates(client: pg.PoolClient, target: BatchTarget, rows: number): Promise<void> {
  const { rows: duplicates } = await client.query<{ ts: string; line: number; first: number | null; total: number }>({
    name: 'bars.ingest.duplicates',
    text: `WITH staged AS (
             SELECT ts, lines[2] AS line, lines[1] AS first FROM (
               SELECT ts, array_agg(line ORDER BY line) AS lines FROM bars_staging GROUP BY ts HAVING count(*) > 1) d
             UNION ALL
             SELECT s.ts, s.line, NULL FROM bars_staging s
             JOIN bars b ON b.instrument_id = $1 AND b.interval = $2 AND b.ts = timestamptz 'epoch' + s.ts * interval '1 millisecond'
             WHERE b.xmin = pg_current_xact_id()::xid)
           SELECT ts::text AS ts, line, first, count(*) OVER ()::int AS total FROM staged ORDER BY line LIMIT ${MAX_DUPLICATES}`,
    values: [target.instrumentId, target.interval],
  });
  if (duplicates.length === 0) return;
  const rejections = duplicates.map(({ ts, line, first }) => ({
    line,
    reason: `duplicate timestamp ${new Date(Number(ts)).toISOString()}, first seen ${first === null ? 'earlier in the file' : `on line ${first}`}`,
  }));
  throw new IngestRejected(rows, duplicates[0]?.total ?? 0, rejections);
}
