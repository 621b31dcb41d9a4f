import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ParseSummary } from './parse.js';

/** About 130,000 minute bars: large enough to amortise each round trip, small enough to hold two. */
export const BATCH_CHARS = 8 * 1024 * 1024;

export interface BatchTarget {
  instrumentId: number;
  interval: string;
  /** Makes sure the partitions rows of [fromMs, toMs] go to exist. */
  ensurePartitions?: (fromMs: number, toMs: number) => Promise<void>;
}

export interface Written {
  inserted: number;
  updated: number;
}

/**
 * Receives COPY rows from the parser and moves them into `bars` a batch at a time, so that
 * PostgreSQL stores one batch while the next one is parsed: the file's two costs overlap instead
 * of adding up, and at most two batches are ever held in memory.
 *
 * While the file's timestamps keep rising, no row can repeat an earlier one, so each batch is
 * stored and the staging table emptied. Once they fall, rows stay staged to the end, where
 * repeats can be found (see `finish`).
 */
export class BatchWriter extends Writable {
  readonly written: Written = { inserted: 0, updated: 0 };
  /** Set once a batch was kept staged because the file's timestamps stopped rising. */
  accumulating = false;
  private batch: string[] = [];
  private chars = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly target: BatchTarget,
    private readonly summary: ParseSummary,
    private readonly batchChars = BATCH_CHARS,
  ) {
    super({ decodeStrings: false, highWaterMark: 1 << 20 });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.batch.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    this.chars += chunk.length;
    if (this.chars < this.batchChars) return callback();
    // Wait for the batch before this one, then start this one and accept more input at once.
    this.inFlight.then(() => {
      this.inFlight = this.flush(this.take());
      this.inFlight.catch(() => undefined);
      callback();
    }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inFlight
      .then(() => this.flush(this.take()))
      .then(() => callback(), callback);
  }

  private take(): string {
    const text = this.batch.join('');
    this.batch = [];
    this.chars = 0;
    return text;
  }

  private async flush(text: string): Promise<void> {
    // A file already known to be refused is only read on to describe it.
    if (text === '' || this.summary.rejected > 0) return;
    await pipeline(Readable.from([text]), this.client.query(copyFrom('COPY bars_staging FROM STDIN')));
    if (this.accumulating || !this.summary.ascending) {
      this.accumulating = true;
      return;
    }
    const written = await moveStaged(this.client, this.target, firstTs(text), lastTs(text));
    this.written.inserted += written.inserted;
    this.written.updated += written.updated;
    await this.client.query('TRUNCATE bars_staging');
  }
}

/** Epoch ms of the first row of a COPY batch (`line \t ts \t ...`). */
function firstTs(text: string): number {
  const start = text.indexOf('\t') + 1;
  return Number(text.slice(start, text.indexOf('\t', start)));
}

function lastTs(text: string): number {
  const lineStart = text.lastIndexOf('\n', text.length - 2) + 1;
  const start = text.indexOf('\t', lineStart) + 1;
  return Number(text.slice(start, text.indexOf('\t', start)));
}

const INSERT_FROM_STAGING = `INSERT INTO bars AS b (instrument_id, interval, ts, open, high, low, close, volume)
  SELECT $1, $2, timestamptz 'epoch' + s.ts * interval '1 millisecond', s.open, s.high, s.low, s.close, s.volume
  FROM bars_staging s
  ON CONFLICT (instrument_id, interval, ts) DO UPDATE
    SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
    WHERE (b.open, b.high, b.low, b.close, b.volume) IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)`;

/**
 * Moves the staged rows into `bars`. When nothing is stored yet in their time span (a first
 * load, the common case) every row is an insert and the plain statement suffices; otherwise
 * each row reports whether it was inserted or changed an existing bar.
 */
export async function moveStaged(client: pg.PoolClient, target: BatchTarget, minTs: number, maxTs: number): Promise<Written> {
  await target.ensurePartitions?.(minTs, maxTs);
  const values = [target.instrumentId, target.interval];
  const { rows: overlap } = await client.query<{ any: boolean }>({
    name: 'bars.ingest.overlap',
    text: `SELECT EXISTS (SELECT 1 FROM bars WHERE instrument_id = $1 AND interval = $2
             AND ts BETWEEN timestamptz 'epoch' + $3::bigint * interval '1 millisecond' AND timestamptz 'epoch' + $4::bigint * interval '1 millisecond') AS any`,
    values: [...values, minTs, maxTs],
  });
  if (!overlap[0]?.any) {
    // Anything a concurrent upload stored meanwhile is overwritten and counted as inserted.
    const { rowCount } = await client.query({ name: 'bars.ingest.insert', text: INSERT_FROM_STAGING, values });
    return { inserted: rowCount ?? 0, updated: 0 };
  }
  // New keys counted first: a partitioned table cannot report per row whether an upsert inserted.
  const { rows } = await client.query<{ n: number }>({
    name: 'bars.ingest.new-keys',
    text: `SELECT count(*)::int AS n FROM bars_staging s
           WHERE NOT EXISTS (SELECT 1 FROM bars b WHERE b.instrument_id = $1 AND b.interval = $2 AND b.ts = timestamptz 'epoch' + s.ts * interval '1 millisecond')`,
    values,
  });
  const inserted = rows[0]?.n ?? 0;
  const { rowCount } = await client.query({ name: 'bars.ingest.upsert', text: INSERT_FROM_STAGING, values });
  return { inserted, updated: (rowCount ?? 0) - inserted };
}
