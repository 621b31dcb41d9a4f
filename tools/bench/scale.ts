/**
 * What an upload and a range read cost as the stored minute bars grow: the bars table is filled
 * with COPY (not through the API) to each size in turn, and at each size it measures, in one run:
 * - the same 100,000-row file uploaded through the API to a new symbol, then its rollup work
 *   (the pending spans it noted, recomputed) until the rollups are current: the median of three;
 * - a one-day and a one-year range read of one symbol whose data is the same at every size;
 * - bytes per bar (table and indexes), index size, the VACUUM after the fill and, for contrast,
 *   what recomputing the minute rollups from scratch costs at that size;
 * and at the largest size, retention of the first month of minute bars and the VACUUM after it.
 *
 *   npm run bench:scale                    (sizes 1, 10, 50 million; BENCH_SIZES=1,10 for fewer)
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { applyPendingRollups, BarRepository, deleteExpiredBars, ensurePartitions } from '@meridian/db';
import { migrate } from '@meridian/db/migrate';
import { createTestContext, signedHeaders } from '@meridian/service/testing';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { buildApp } from '../../apps/signals/src/app.js';
import { CSV_HEADER, syntheticBars, toCsvLine } from '../data/synthetic.js';
import { Progress } from '../lib/progress.js';
import { median, percentile } from './lib/interleave.js';
import { log, ratio } from './lib/load.js';

const SIZES = (process.env.BENCH_SIZES ?? '1,10,50').split(',').map((m) => Number(m) * 1_000_000);
const PER_SYMBOL = 100_000;
const READS = Number(process.env.BENCH_READS ?? 20);
const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 3);
const start = Date.UTC(2015, 0, 5);
const DAY = 86_400_000;

const ctx = await createTestContext();
await migrate({ databaseUrl: ctx.database.url });
const config = ctx.config('signals', { LOG_LEVEL: 'error' });
const app = await buildApp({ config });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const pool = new pg.Pool({ connectionString: ctx.database.url, max: 2 });
const bars = new BarRepository(pool);

async function instrument(symbol: string): Promise<number> {
  const { rows } = await pool.query<{ id: number }>('INSERT INTO instruments (symbol, name) VALUES ($1, $1) RETURNING id', [symbol]);
  return rows[0]?.id as number;
}

/** COPYs `count` filler symbols of PER_SYMBOL minute bars each, straight into bars, and notes their spans as an upload would. */
async function fill(first: number, count: number, progress: Progress, done: number): Promise<void> {
  for (let s = first; s < first + count; s++) {
    const id = await instrument(`F${String(s).padStart(4, '0')}`);
    const client = await pool.connect();
    try {
      await client.query('SET synchronous_commit = off');
      // COPY writes into bars directly: the time partitions are made first, as an upload would.
      await ensurePartitions(client, pool.options, '1m', start, start + 2 * 365 * DAY);
      const rows = Readable.from((function* () {
        let chunk = '';
        for (const bar of syntheticBars({ seed: s, interval: '1m', rows: PER_SYMBOL, start })) {
          chunk += `${id}\t1m\t${new Date(bar.ts).toISOString()}\t${bar.open}\t${bar.high}\t${bar.low}\t${bar.close}\t${bar.volume}\n`;
          if (chunk.length > 65_536) {
            yield chunk;
            chunk = '';
          }
        }
        yield chunk;
      })());
      await pipeline(rows, client.query(copyFrom('COPY bars (instrument_id, interval, ts, open, high, low, close, volume) FROM STDIN')));
      await client.query("INSERT INTO rollup_pending (instrument_id, interval, from_ts, to_ts) SELECT $1, '1m', min(ts), max(ts) FROM bars WHERE instrument_id = $1 AND interval = '1m'", [id]);
    } finally {
      client.release();
    }
    progress.update(done + (s - first + 1) * PER_SYMBOL);
  }
  // The fillers' rollups, built incrementally like any upload's.
  await applyPendingRollups(pool, '1m');
}

const upload = (() => {
  const text = CSV_HEADER + [...syntheticBars({ seed: 7, interval: '1m', rows: PER_SYMBOL, start })].map((bar) => toCsvLine(bar, '1m')).join('');
  return async (symbol: string) => {
    const path = `/v1/bars?symbol=${symbol}&interval=1m`;
    await pool.query('INSERT INTO instruments (symbol, name) VALUES ($1, $1)', [symbol]);
    const started = performance.now();
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...signedHeaders(config, 'POST', path, undefined, 'stream'), 'content-type': 'text/csv' }, body: text });
    if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    const uploaded = performance.now() - started;
    const rolled = performance.now();
    await applyPendingRollups(pool, '1m');
    return { upload: uploaded, rollups: performance.now() - rolled };
  };
})();

async function readP95(instrumentId: number, days: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < READS; i++) {
    // Mondays: every one-day window holds a session.
    const from = start + (i % 5) * 7 * DAY;
    const started = performance.now();
    const rows = await bars.page({ instrumentId, interval: '1m', from, to: from + days * DAY - 1 }, { limit: 200_000 });
    times.push(performance.now() - started);
    if (rows.length === 0) throw new Error('the probe symbol has no bars in range');
  }
  return Math.round(percentile(times, 95) * 10) / 10;
}

async function scalar(sql: string): Promise<number> {
  const { rows } = await pool.query<{ v: number }>(sql);
  return Number(rows[0]?.v ?? 0);
}

interface Row {
  size: number;
  upload: number;
  rollups: number;
  day: number;
  year: number;
  bytesPerBar: number;
  indexMb: number;
  /** VACUUM ANALYZE of bars after the fill. */
  vacuum: number;
  fullRecompute: number;
}

const results: Row[] = [];
try {
  // The probe symbol: a year of minute bars, the same at every size.
  const probe = await instrument('PROBE');
  await fetch(`${base}/v1/bars?symbol=PROBE&interval=1m`, {
    method: 'POST',
    headers: { ...signedHeaders(config, 'POST', '/v1/bars?symbol=PROBE&interval=1m', undefined, 'stream'), 'content-type': 'text/csv' },
    body: CSV_HEADER + [...syntheticBars({ seed: 3, interval: '1m', rows: 98_280, start })].map((bar) => toCsvLine(bar, '1m')).join(''),
  }).then(async (res) => {
    if (res.status !== 200) throw new Error(`probe upload answered ${res.status}: ${await res.text()}`);
  });
  await applyPendingRollups(pool, '1m');
  let stored = await scalar('SELECT count(*) AS v FROM bars');
  let fillers = 0;
  const progress = new Progress('filling bars', undefined, 'rows');
  for (const size of SIZES) {
    const needed = Math.max(0, Math.ceil((size - stored) / PER_SYMBOL));
    await fill(fillers, needed, progress, stored);
    fillers += needed;
    const vacuumStarted = performance.now();
    await pool.query('VACUUM ANALYZE bars');
    const vacuum = performance.now() - vacuumStarted;
    stored = await scalar('SELECT count(*) AS v FROM bars');
    log(`${stored.toLocaleString('en')} bars stored: measuring`);
    // The fill's dirty pages are written now, not during the measurement.
    await pool.query('CHECKPOINT');
    const runs = [];
    for (let i = 0; i < UPLOADS; i++) runs.push(await upload(`UP${Math.round(size / 1_000_000)}M${i}`));
    const up = median(runs.map((r) => r.upload));
    const rollups = median(runs.map((r) => r.rollups));
    const day = await readP95(probe, 1);
    const year = await readP95(probe, 365);
    // Every relation of bars: the table itself or, partitioned, each partition, with their indexes.
    const sizes = await pool.query<{ total: string; indexes: string }>(
      `SELECT sum(pg_total_relation_size(r))::bigint AS total, sum(pg_indexes_size(r))::bigint AS indexes
       FROM (SELECT relid AS r FROM pg_partition_tree('bars') WHERE isleaf
             UNION ALL SELECT oid FROM pg_class WHERE oid = 'bars'::regclass AND relkind = 'r') t`,
    );
    const bytesPerBar = Math.round(Number(sizes.rows[0]?.total) / stored);
    const indexMb = Math.round(Number(sizes.rows[0]?.indexes) / 1_048_576);
    const recomputeStarted = performance.now();
    for (const unit of ['hour', 'day']) {
      await scalar(`SELECT count(*) AS v FROM (SELECT instrument_id, date_trunc('${unit}', ts AT TIME ZONE 'UTC'), (array_agg(open ORDER BY ts))[1], max(high), min(low), (array_agg(close ORDER BY ts DESC))[1], sum(volume)
                    FROM bars WHERE interval = '1m' GROUP BY 1, 2) t`);
    }
    const fullRecompute = performance.now() - recomputeStarted;
    const row = { size: stored, upload: Math.round(up), rollups: Math.round(rollups), day, year, bytesPerBar, indexMb, vacuum: Math.round(vacuum), fullRecompute: Math.round(fullRecompute) };
    results.push(row);
    log(JSON.stringify(row));
  }
  progress.done(stored);
  // Retention at the largest size: the first month of every symbol's minute bars expires.
  const monthOut = start + 31 * DAY;
  const expiring = await scalar(`SELECT count(*) AS v FROM bars WHERE interval = '1m' AND ts < to_timestamp(${monthOut / 1000})`);
  const retentionStarted = performance.now();
  const now = new Date();
  const { deleted } = await deleteExpiredBars(pool, { '1m': (now.getTime() - monthOut) / DAY }, now);
  const retention = performance.now() - retentionStarted;
  const vacuumStarted = performance.now();
  await pool.query('VACUUM bars');
  const vacuumAfter = performance.now() - vacuumStarted;
  if (deleted['1m'] !== expiring) throw new Error(`retention deleted ${deleted['1m']} bars, expected ${expiring}`);
  log(`retention of one month of minute bars (${expiring.toLocaleString('en')} bars) at ${(stored / 1e6).toFixed(1)} M: ${Math.round(retention)} ms, then VACUUM ${Math.round(vacuumAfter)} ms`);
  const first = results[0] as Row;
  console.log(`
| bars stored | upload of 100,000 bars + its rollup work | upload | rollup work | one-day read p95 | one-year read p95 | bytes per bar (table + indexes) | index size | VACUUM ANALYZE after the fill | full recomputation of the minute rollups (for contrast) |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${results.map((r) => `| ${(r.size / 1e6).toFixed(1)} M | ${r.upload + r.rollups} ms (${ratio(r.upload + r.rollups, first.upload + first.rollups)}×) | ${r.upload} ms (${ratio(r.upload, first.upload)}×) | ${r.rollups} ms (${ratio(r.rollups, first.rollups)}×) | ${r.day} ms (${ratio(r.day, first.day)}×) | ${r.year} ms (${ratio(r.year, first.year)}×) | ${r.bytesPerBar} | ${r.indexMb} MB | ${(r.vacuum / 1000).toFixed(1)} s | ${(r.fullRecompute / 1000).toFixed(1)} s |`).join('\n')}

Retention of the first month of minute bars at ${(stored / 1e6).toFixed(1)} M (${expiring.toLocaleString('en')} bars): ${Math.round(retention)} ms, then VACUUM ${Math.round(vacuumAfter)} ms.
`);
} finally {
  await pool.end();
  await app.close();
  await ctx.cleanup();
}
