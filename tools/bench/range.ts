/**
 * A year of minute bars for one symbol out of 20, read with the primary key (the index chosen in
 * docs/database.md), with a BRIN index instead, and with no index, in one run:
 *
 *   npm run bench:range            (about 2,000,000 rows in its own database)
 *   BENCH_QUERIES=100 npm run bench:range
 *
 * Queries run one at a time from one connection, with the table otherwise idle.
 */
import { ingestBars } from '@meridian/db';
import { createTestContext } from '@meridian/service/testing';
import pg from 'pg';
import { syntheticCsv } from '../data/synthetic.js';
import { Progress } from '../lib/progress.js';
import { log, ratio } from './lib/load.js';

const SYMBOLS = 20;
const YEAR_OF_MINUTES = 252 * 390;
const queries = Number(process.env.BENCH_QUERIES ?? 40);
const start = Date.UTC(2021, 0, 4);

const ctx = await createTestContext();
const client = new pg.Client({ connectionString: ctx.database.url });
await client.connect();
const pool = new pg.Pool({ connectionString: ctx.database.url, max: 1 });

const RANGE_QUERY = `SELECT ts, open, high, low, close, volume FROM bars
  WHERE instrument_id = $1 AND interval = '1m' AND ts BETWEEN $2 AND $3 ORDER BY ts`;

async function measure(label: string): Promise<{ p50: number; p95: number; plan: string }> {
  await client.query('ANALYZE bars');
  const times: number[] = [];
  for (let i = 0; i < queries; i++) {
    const id = 1 + (i % SYMBOLS);
    const started = performance.now();
    const { rowCount } = await client.query({ name: `range-${label}`, text: RANGE_QUERY, values: [id, new Date(start), new Date(start + 366 * 86_400_000)] });
    times.push(performance.now() - started);
    if (rowCount !== YEAR_OF_MINUTES) throw new Error(`${label}: got ${rowCount} rows`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] as number) * 10) / 10;
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${RANGE_QUERY.replace('$1', '7').replace('$2', `'2021-01-04'`).replace('$3', `'2022-01-05'`)}`);
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  log(`${label}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms\n${plan}`);
  return { p50: at(0.5), p95: at(0.95), plan };
}

try {
  const progress = new Progress('loading', SYMBOLS * YEAR_OF_MINUTES, 'rows');
  for (let s = 1; s <= SYMBOLS; s++) {
    const { rows } = await client.query<{ id: number }>('INSERT INTO instruments (symbol, name) VALUES ($1, $1) RETURNING id', [`S${s}`]);
    await ingestBars(pool, { instrumentId: (rows[0] as { id: number }).id, interval: '1m', format: 'csv', source: syntheticCsv({ seed: s, interval: '1m', rows: YEAR_OF_MINUTES, start }) });
    progress.update(s * YEAR_OF_MINUTES);
  }
  progress.done(SYMBOLS * YEAR_OF_MINUTES);
  await client.query('VACUUM ANALYZE bars');
  const size = async (name: string) => {
    // Summed over the partitions: a partitioned table or index holds nothing itself.
    const { rows } = await client.query<{ mb: number }>('SELECT round(sum(pg_relation_size(relid)) / 1048576.0, 1)::float AS mb FROM pg_partition_tree($1::regclass)', [name]);
    return rows[0]?.mb ?? 0;
  };
  const sizes = { tableMb: await size('bars'), primaryKeyMb: await size('bars_pkey') };

  const btree = await measure('primary key btree (instrument_id, interval, ts)');
  await client.query('ALTER TABLE bars DROP CONSTRAINT bars_pkey');
  await client.query('CREATE INDEX bars_brin ON bars USING brin (instrument_id, interval, ts)');
  const brinMb = await size('bars_brin');
  const brin = await measure('BRIN (instrument_id, interval, ts), no btree');
  await client.query('DROP INDEX bars_brin');
  const none = await measure('no index');
  await client.query('ALTER TABLE bars ADD PRIMARY KEY (instrument_id, interval, ts)');

  const report = {
    rows: SYMBOLS * YEAR_OF_MINUTES,
    rowsPerQuery: YEAR_OF_MINUTES,
    queries,
    sizes: { ...sizes, brinMb },
    primaryKey: { p50: btree.p50, p95: btree.p95 },
    brin: { p50: brin.p50, p95: brin.p95 },
    noIndex: { p50: none.p50, p95: none.p95 },
    p95NoIndexOverPrimaryKey: ratio(none.p95, btree.p95),
    p95BrinOverPrimaryKey: ratio(brin.p95, btree.p95),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await pool.end();
  await client.end();
  await ctx.cleanup();
}
