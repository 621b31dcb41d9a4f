import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { timedStream } from '../query-log.js';
import { type BarColumns, barColumnsFromBinaryCopy } from './binary-copy.js';

export type { BarColumns } from './binary-copy.js';

export const INTERVALS = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1mo'] as const;
export type Interval = (typeof INTERVALS)[number];

export interface BarRange {
  instrumentId: number;
  interval: Interval;
  /** Epoch ms, inclusive; unbounded when absent. */
  from?: number | undefined;
  /** Epoch ms, inclusive; unbounded when absent. */
  to?: number | undefined;
}

export interface BarRow {
  ts: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

export type ExportFormat = 'ndjson' | 'csv';

// Far enough out to stand for "unbounded" while staying a valid timestamptz.
const MIN_MS = -8_000_000_000_000;
const MAX_MS = 8_000_000_000_000;

const ISO_TS = `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
// COPY takes no bind parameters, so the range travels as transaction-local settings, set with
// bind parameters and read back with current_setting(): nothing from a request is spliced in.
const rangeFromSettings = (relation: Relation) => `${relation}
  WHERE instrument_id = current_setting('meridian.instrument')::int
    AND interval = current_setting('meridian.interval')
    AND ts BETWEEN timestamptz 'epoch' + current_setting('meridian.from')::bigint * interval '1 millisecond'
               AND timestamptz 'epoch' + current_setting('meridian.to')::bigint * interval '1 millisecond'
  ORDER BY ts`;
const exportSql = (relation: Relation): Record<ExportFormat, string> => ({
  ndjson: `COPY (SELECT '{"ts":"' || ${ISO_TS} || '","open":' || open::text || ',"high":' || high::text || ',"low":' || low::text
             || ',"close":' || close::text || ',"volume":' || coalesce(volume::text, 'null') || '}' FROM ${rangeFromSettings(relation)}) TO STDOUT`,
  csv: `COPY (SELECT ${ISO_TS} AS date, open, high, low, close, volume FROM ${rangeFromSettings(relation)}) TO STDOUT WITH (FORMAT csv, HEADER)`,
});

/**
 * Intervals that are also derived from finer bars (rollup tables, see docs/database.md):
 * read from the table when no bars of that interval were uploaded for the instrument.
 */
export const ROLLUPS = {
  '1w': { table: 'bars_1w', from: '1d' },
  '1mo': { table: 'bars_1mo', from: '1d' },
  '1h': { table: 'bars_1h', from: '1m' },
  '1d': { table: 'bars_1d_from_1m', from: '1m' },
} as const satisfies Partial<Record<Interval, { table: string; from: Interval }>>;

type Relation = 'bars' | (typeof ROLLUPS)[keyof typeof ROLLUPS]['table'];

/** The intervals rolled up from bars of `interval`. */
export function rolledUpFrom(interval: Interval): (keyof typeof ROLLUPS)[] {
  return (Object.keys(ROLLUPS) as (keyof typeof ROLLUPS)[]).filter((served) => ROLLUPS[served].from === interval);
}

export class BarRepository {
  constructor(private readonly read: pg.Pool) {}

  /** Uploaded bars when there are any, else the rollup table for the interval, if it has one. */
  async relation(instrumentId: number, interval: Interval): Promise<Relation> {
    const rollup = (ROLLUPS as Partial<Record<Interval, { table: Relation }>>)[interval];
    return rollup && !(await this.any(instrumentId, interval)) ? rollup.table : 'bars';
  }

  /** One page in time order, strictly after `after` (epoch ms) when given: keyset pagination. */
  async page(range: BarRange, options: { after?: number | undefined; limit: number }): Promise<BarRow[]> {
    return (await this.pageFrom(range, options)).rows;
  }

  /** A page, and the finer interval it was rolled up from when it was read from a rollup. */
  async pageFrom(range: BarRange, options: { after?: number | undefined; limit: number }): Promise<{ rows: BarRow[]; rolledUpFrom: Interval | undefined }> {
    const from = Math.max(range.from ?? MIN_MS, options.after === undefined ? MIN_MS : options.after + 1);
    const relation = await this.relation(range.instrumentId, range.interval);
    const { rows } = await this.read.query<BarRow>({
      name: `bars.page.${relation}`,
      text: `SELECT ts, open, high, low, close, volume FROM ${relation}
             WHERE instrument_id = $1 AND interval = $2
               AND ts BETWEEN timestamptz 'epoch' + $3::bigint * interval '1 millisecond' AND timestamptz 'epoch' + $4::bigint * interval '1 millisecond'
             ORDER BY ts LIMIT $5`,
      values: [range.instrumentId, range.interval, from, range.to ?? MAX_MS, options.limit],
    });
    return { rows, rolledUpFrom: relation === 'bars' ? undefined : (ROLLUPS as Partial<Record<Interval, { from: Interval }>>)[range.interval]?.from };
  }

  /**
   * Every bar of the instrument and interval as columns (epoch-ms times), in time order. Read
   * with a binary COPY, faster than a query's rows, which pg parses one at a time (BENCHMARKS.md,
   * "Market data", bar columns).
   */
  async columns(instrumentId: number, interval: Interval): Promise<BarColumns> {
    // COPY takes no bind parameters: these two are spliced in, so only an integer and one of
    // the known intervals may get there.
    if (!Number.isSafeInteger(instrumentId)) throw new TypeError(`bars: instrument id ${instrumentId} is not an integer`);
    if (!INTERVALS.includes(interval)) throw new TypeError(`bars: unknown interval ${String(interval)}`);
    const relation = await this.relation(instrumentId, interval);
    const client = await this.read.connect();
    const chunks: Buffer[] = [];
    try {
      const sql = `COPY (SELECT (extract(epoch FROM ts) * 1000)::float8, open, high, low, close, volume FROM ${relation}
        WHERE instrument_id = ${instrumentId} AND interval = '${interval}' ORDER BY ts) TO STDOUT WITH (FORMAT binary)`;
      const copy = client.query(timedStream(copyTo(sql), `bars.columns.${relation}`));
      for await (const chunk of copy) chunks.push(chunk as Buffer);
    } catch (error) {
      // Possibly mid-protocol: the connection is discarded, not reused.
      client.release(error as Error);
      throw error;
    }
    client.release();
    return barColumnsFromBinaryCopy(Buffer.concat(chunks));
  }

  /** How many bars the range holds: checked before a job is queued for them. */
  async count(range: BarRange): Promise<number> {
    const relation = await this.relation(range.instrumentId, range.interval);
    const { rows } = await this.read.query<{ count: number }>({
      name: `bars.count.${relation}`,
      text: `SELECT count(*)::int AS count FROM ${relation}
             WHERE instrument_id = $1 AND interval = $2
               AND ts BETWEEN timestamptz 'epoch' + $3::bigint * interval '1 millisecond' AND timestamptz 'epoch' + $4::bigint * interval '1 millisecond'`,
      values: [range.instrumentId, range.interval, range.from ?? MIN_MS, range.to ?? MAX_MS],
    });
    return rows[0]?.count ?? 0;
  }

  /** Whether any bar of the instrument and interval exists. */
  async any(instrumentId: number, interval: Interval): Promise<boolean> {
    const { rowCount } = await this.read.query({
      name: 'bars.any',
      text: 'SELECT 1 FROM bars WHERE instrument_id = $1 AND interval = $2 LIMIT 1',
      values: [instrumentId, interval],
    });
    return (rowCount ?? 0) > 0;
  }

  /**
   * The whole range as NDJSON or CSV text, produced by the server with COPY and streamed with
   * backpressure from one read-only snapshot. Destroying the stream gives the connection back.
   */
  async export(range: BarRange, format: ExportFormat): Promise<Readable> {
    const relation = await this.relation(range.instrumentId, range.interval);
    const client = await this.read.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The export runs at the pace the client reads it, however long that is.
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query({
        name: 'bars.export.range',
        text: `SELECT set_config('meridian.instrument', $1, true), set_config('meridian.interval', $2, true),
                      set_config('meridian.from', $3, true), set_config('meridian.to', $4, true)`,
        values: [String(range.instrumentId), range.interval, String(range.from ?? MIN_MS), String(range.to ?? MAX_MS)],
      });
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    const copy = client.query(copyTo(exportSql(relation)[format]));
    const out = new PassThrough();
    copy.on('error', (error) => out.destroy(error));
    copy.pipe(out);
    void finished(out).then(
      () => client.query('COMMIT').then(() => client.release(), (error: Error) => client.release(error)),
      // Cut off mid-COPY (client went away): the connection is mid-protocol, so it is discarded.
      (error: Error) => client.release(error),
    );
    return out;
  }
}
