/**
 * How a symbol's whole history reaches the signals service (the cold read of GET /v1/signals):
 * `BarRepository.columns`, a binary COPY, against the same bars as query rows in pg's row mode
 * (how it read them before). SPX daily bars 2000–2020 (vega-datasets), alternating the two
 * readers BENCH_READS times each from one pool, after 20 uncounted reads of each; the two must
 * return the same numbers to the bit.
 *
 *   npm run bench:bar-columns                 (BENCH_READS=100)
 */
import { BarRepository, createPools, InstrumentRepository, type BarColumns } from '@meridian/db';
import { migrate } from '@meridian/db/migrate';
import { createTestContext } from '@meridian/service/testing';
import { loadDemoData } from '../data/demo.js';
import { percentile } from './lib/interleave.js';
import { log, ratio } from './lib/load.js';

const reads = Number(process.env.BENCH_READS ?? 100);
const WARMUP = 20;

const ctx = await createTestContext();
await migrate({ databaseUrl: ctx.database.url });
const database = ctx.config('signals').database;
await loadDemoData(database, (message) => log(message));
const pools = createPools(database, 'bench-bar-columns');

try {
  const spx = await new InstrumentRepository(pools.write, pools.read).bySymbol('SPX');
  if (!spx) throw new Error('SPX missing after loading the demo data');
  const repository = new BarRepository(pools.read);

  const asRows = async (): Promise<BarColumns> => {
    const { rows } = await pools.read.query<number[]>({
      text: `SELECT (extract(epoch FROM ts) * 1000)::float8, open, high, low, close, volume FROM bars
             WHERE instrument_id = $1 AND interval = $2 ORDER BY ts`,
      values: [spx.id, '1d'],
      rowMode: 'array',
    });
    const column = (i: number) => Float64Array.from(rows, (row) => row[i] ?? Number.NaN);
    return { ts: column(0), open: column(1), high: column(2), low: column(3), close: column(4), volume: column(5) };
  };
  const readers = { 'binary COPY (columns)': () => repository.columns(spx.id, '1d'), 'query rows (before)': asRows };

  const times = new Map<string, number[]>(Object.keys(readers).map((name) => [name, []]));
  let reference: BarColumns | undefined;
  for (let i = 0; i < WARMUP + reads; i++) {
    for (const [name, read] of Object.entries(readers)) {
      const started = performance.now();
      const columns = await read();
      if (i >= WARMUP) times.get(name)?.push(performance.now() - started);
      reference ??= columns;
      for (const key of Object.keys(reference) as (keyof BarColumns)[]) {
        if (!Object.is(columns[key].length, reference[key].length) || columns[key].some((v, j) => !Object.is(v, reference?.[key][j]))) throw new Error(`${name}: ${key} differs`);
      }
    }
    if ((i + 1) % 40 === 0) log(`${i + 1} of ${WARMUP + reads} rounds`);
  }
  const summary = Object.fromEntries([...times].map(([name, list]) => [name, { p50: Math.round(percentile(list, 50) * 100) / 100, p95: Math.round(percentile(list, 95) * 100) / 100 }]));
  const [copy, rows] = [...times.values()].map((list) => percentile(list, 50));
  process.stdout.write(`${JSON.stringify({ bars: reference?.ts.length, reads, ms: summary, p50CopyOverRows: ratio(copy ?? 0, rows ?? 1) }, null, 2)}\n`);
} finally {
  await pools.close();
  await ctx.cleanup();
}
