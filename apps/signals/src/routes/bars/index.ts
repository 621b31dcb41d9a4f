import type { Readable } from 'node:stream';
import { BarPage, BarPageQuery, BarsRejected, BarSeriesQuery, IngestQuery, IngestResult, Problem } from '@meridian/contracts';
import { BarRepository, IngestRejected, InstrumentRepository, ingestBars, rollupAsOf, type BarFormat, type BarRange, type BarRow, type ChangedBars, type Interval } from '@meridian/db';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { instant } from '../../window.js';

export interface BarRoutesOptions {
  /** Runs after bars of a symbol were committed: cache invalidation, rollup refresh and live events hang here. */
  onIngested?: (symbol: string, interval: Interval, changed: ChangedBars | undefined) => Promise<void>;
}

/** Live subscribers hear of at most this many bars per upload, the latest; a bulk load is read with GET /v1/bars. */
const LIVE_BARS_PER_UPLOAD = 10_000;

const UPLOAD_TYPES: Record<string, BarFormat> = {
  'text/csv': 'csv',
  'text/plain': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};
function toWire(row: BarRow) {
  return { ts: row.ts.toISOString(), open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume };
}

export const barRoutes: FastifyPluginAsyncTypebox<BarRoutesOptions> = async (app, options) => {
  const instruments = new InstrumentRepository(app.db.write, app.db.read);
  const bars = new BarRepository(app.db.read);

  // Uploads stay streams: the ingest reads them at the pace Postgres takes them.
  app.addContentTypeParser(Object.keys(UPLOAD_TYPES), (_request, payload, done) => done(null, payload));

  async function instrumentId(symbol: string): Promise<number> {
    const row = await instruments.bySymbol(symbol);
    if (!row) throw new HttpProblem(404, 'not-found', `No instrument ${symbol}. Create it with POST /v1/instruments first.`);
    return row.id;
  }

  async function rangeOf(query: { symbol: string; interval?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<BarRange> {
    return {
      instrumentId: await instrumentId(query.symbol),
      interval: (query.interval ?? '1d') as Interval,
      from: instant('from', query.from),
      to: instant('to', query.to),
    };
  }

  app.post('/v1/bars', {
    schema: {
      tags: ['bars'],
      summary: 'Upload bars as CSV or NDJSON; the whole file is stored, or nothing',
      description: 'CSV needs a header `date,open,high,low,close[,volume]` (other columns are ignored); NDJSON lines are objects with `ts` (or `date`), `open`, `high`, `low`, `close` and optional `volume`. Re-sending a file changes nothing; bars already stored with other values are overwritten. A file with any bad line is refused with 400, listing the first bad lines, and nothing is stored.',
      querystring: IngestQuery,
      consumes: Object.keys(UPLOAD_TYPES),
      response: { 200: IngestResult, 400: Type.Union([BarsRejected, Problem]), 404: Problem, 415: Problem },
    },
  }, async (request) => {
    const interval = (request.query.interval ?? '1d') as Interval;
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const format = UPLOAD_TYPES[contentType];
    if (format === undefined) throw new HttpProblem(415, 'unsupported-media-type', `Send bars as text/csv or application/x-ndjson, not "${contentType}".`);
    const id = await instrumentId(request.query.symbol);
    try {
      const { changed, ...counts } = await ingestBars(app.db.write, { instrumentId: id, interval, format, source: request.body as Readable, changedLimit: LIVE_BARS_PER_UPLOAD });
      app.metrics.ingestedRows.inc({ interval }, counts.inserted + counts.updated);
      await options.onIngested?.(request.query.symbol, interval, changed);
      return { symbol: request.query.symbol, interval, ...counts, rejected: 0 };
    } catch (error) {
      if (!(error instanceof IngestRejected)) throw error;
      const lines = error.rejections.map((r) => `line ${r.line}: ${r.reason}`).join('; ');
      throw new HttpProblem(400, 'bars-rejected', `${error.rejected} of ${error.rows + error.rejected} lines are not valid bars, so nothing was stored. Fix them and send the file again. ${lines}`, {
        rows: error.rows,
        rejected: error.rejected,
        rejections: error.rejections,
      });
    }
  });

  app.get('/v1/bars', {
    schema: {
      tags: ['bars'],
      summary: 'Bars of one symbol in time order, a page at a time',
      description: '`from` and `to` are inclusive; a bare date as `to` includes that whole day. Pass `next` back as `cursor` for the following page.',
      querystring: BarPageQuery,
      response: { 200: BarPage, 400: Problem, 404: Problem },
    },
  }, async (request) => {
    const range = await rangeOf(request.query);
    const after = request.query.cursor === undefined ? undefined : Number(request.query.cursor);
    // Validation fills in the default when the client leaves `limit` out.
    const { rows, rolledUpFrom } = await bars.pageFrom(range, { after, limit: request.query.limit as number });
    const last = rows.at(-1);
    const asOf = rolledUpFrom ? await rollupAsOf(app.db.read, range.instrumentId, rolledUpFrom) : undefined;
    return {
      symbol: request.query.symbol,
      interval: range.interval,
      items: rows.map(toWire),
      next: rows.length === request.query.limit && last ? String(last.ts.getTime()) : null,
      ...(asOf ? { rollupAsOf: asOf.toISOString() } : {}),
    };
  });

  app.get('/v1/bars/stream', {
    schema: {
      tags: ['bars'],
      summary: 'The whole range as NDJSON, or CSV with Accept: text/csv, streamed',
      description: 'One bar per line, in time order, from one consistent snapshot. The CSV has the header `date,open,high,low,close,volume`, so it can be uploaded again as is.',
      querystring: BarSeriesQuery,
      produces: ['application/x-ndjson', 'text/csv'],
      // Streams bypass Fastify's serializer; the schema is there for the API document.
      response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'NDJSON or CSV, one bar per line' }), 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const range = await rangeOf(request.query);
    const csv = (request.headers.accept ?? '').includes('text/csv');
    const stream = await bars.export(range, csv ? 'csv' : 'ndjson');
    return reply.type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson').send(stream);
  });
};
