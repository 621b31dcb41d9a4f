/**
 * Bar ingest and export against their floors, in one run on this machine:
 *   ingest: psql \copy of the CSV into `bars`  vs  POST /v1/bars (signals service)  vs  row-by-row INSERTs
 *   export: psql \copy (SELECT ...) TO STDOUT   vs  GET /v1/bars/stream (NDJSON and CSV), with server RSS
 *
 *   npm run build && npm run bench:ingest                 (5,000,000 minute bars; its own database)
 *   BENCH_ROWS=500000 npm run bench:ingest                (a quicker run)
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { ensurePartitions } from '@meridian/db';
import { signInternal } from '@meridian/service';
import { createTestContext } from '@meridian/service/testing';
import pg from 'pg';
import { uploadFile } from '../lib/upload.js';
import { log, ratio } from './lib/load.js';
import { startBuiltService, syntheticCsv, type BenchServer } from './lib/server.js';

const rows = Number(process.env.BENCH_ROWS ?? 5_000_000);
const insertRows = Number(process.env.BENCH_INSERT_ROWS ?? 20_000);
const secret = 'bench-secret-bench-secret-bench-secret-0123';

function psql(url: string, command: string, stdout: 'ignore' | 'pipe' = 'ignore'): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], { stdio: ['ignore', stdout, 'inherit'] });
    child.stdout?.resume();
    child.once('error', (error) => reject(new Error(`psql could not run (${error.message}): install the postgresql-client package`)));
    child.once('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`psql failed (${code}): ${command}`))));
  });
}

/** A signature for one streamed request (an upload or export), made afresh: each is honoured once. */
function signed(method: string, path: string) {
  return { 'x-meridian-internal': signInternal(secret, method, path, { tenant: 'bench', keyId: 'bench' }, { body: method === 'POST' ? 'stream' : undefined }) };
}

async function upload(server: BenchServer, file: string): Promise<{ seconds: number; body: string }> {
  const path = '/v1/bars?symbol=BENCH&interval=1m';
  const { status, body, seconds } = await uploadFile(`${server.url}${path}`, file, { ...signed('POST', path), 'content-type': 'text/csv' }, 'POST /v1/bars');
  if (status !== 200) throw new Error(`ingest answered ${status}: ${body}`);
  return { seconds, body };
}

/** Reads the whole export, sampling the server's RSS every 50 ms. */
async function download(server: BenchServer, accept: string): Promise<{ seconds: number; lines: number; rssGrowthMb: number }> {
  const path = '/v1/bars/stream?symbol=BENCH&interval=1m';
  const baseline = server.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 50);
  const started = performance.now();
  let lines = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      get(`${server.url}${path}`, { headers: { ...signed('GET', path), accept } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`export answered ${res.statusCode}`));
        res.on('data', (chunk: Buffer) => {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
  } finally {
    clearInterval(sampler);
  }
  return { seconds: (performance.now() - started) / 1000, lines, rssGrowthMb: Math.round((peak - baseline) / 1_048_576) };
}

async function rowByRow(client: pg.Client, instrumentId: number, file: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    let data = '';
    const stream = createReadStream(file, { encoding: 'utf8', end: insertRows * 120 });
    stream.on('data', (chunk) => (data += String(chunk)));
    stream.on('end', () => resolve(data));
    stream.on('error', reject);
  });
  const lines = text.split('\n').slice(1, insertRows + 1);
  const started = performance.now();
  for (const line of lines) {
    const [ts, open, high, low, close, volume] = line.split(',');
    await client.query({
      name: 'bench.insert',
      text: `INSERT INTO bars (instrument_id, interval, ts, open, high, low, close, volume) VALUES ($1, '1m', $2, $3, $4, $5, $6, $7)`,
      values: [instrumentId, ts, open, high, low, close, volume],
    });
  }
  return lines.length / ((performance.now() - started) / 1000);
}

/** Epoch ms of a CSV file's first and last bar, read from its two ends. */
function fileSpan(path: string): [number, number] {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(256);
  const tail = Buffer.alloc(256);
  readSync(fd, head, 0, 256, 0);
  readSync(fd, tail, 0, 256, Math.max(0, statSync(path).size - 256));
  closeSync(fd);
  const first = head.toString('utf8').split('\n')[1] as string;
  const last = tail.toString('utf8').trimEnd().split('\n').at(-1) as string;
  return [Date.parse(first.split(',')[0] as string), Date.parse(last.split(',')[0] as string)];
}

const file = await syntheticCsv(rows);
const ctx = await createTestContext();
const client = new pg.Client({ connectionString: ctx.database.url });
await client.connect();
const server = await startBuiltService('signals', 3911, { ...process.env, ...ctx.env(), NODE_ENV: 'production', INTERNAL_AUTH_SECRET: secret, LOG_LEVEL: 'warn' });
try {
  const { rows: created } = await client.query<{ id: number }>("INSERT INTO instruments (symbol, name) VALUES ('BENCH', 'bench') RETURNING id");
  const instrumentId = (created[0] as { id: number }).id;
  const mb = (statSync(file).size / 1_048_576).toFixed(0);
  log(`${rows.toLocaleString('en-US')} minute bars, ${mb} MB of CSV`);

  log('psql \\copy into bars');
  // psql writes into bars directly: the time partitions the file needs are made first, as an upload would.
  await ensurePartitions(client, { connectionString: ctx.database.url }, '1m', ...fileSpan(file));
  await client.query(`ALTER TABLE bars ALTER instrument_id SET DEFAULT ${instrumentId}, ALTER interval SET DEFAULT '1m'`);
  const psqlSeconds = await psql(ctx.database.url, `\\copy bars (ts, open, high, low, close, volume) FROM '${file}' WITH (FORMAT csv, HEADER)`);
  await client.query('ALTER TABLE bars ALTER instrument_id DROP DEFAULT, ALTER interval DROP DEFAULT');
  await client.query('TRUNCATE bars');
  await client.query('CHECKPOINT');
  log(`psql \\copy: ${psqlSeconds.toFixed(1)} s`);

  const first = await upload(server, file);
  const counts = JSON.parse(first.body) as { inserted: number };
  if (counts.inserted !== rows) throw new Error(`ingest stored ${counts.inserted} of ${rows} rows`);
  log(`POST /v1/bars: ${first.seconds.toFixed(1)} s`);
  const again = await upload(server, file);
  log(`POST /v1/bars again (every row unchanged): ${again.seconds.toFixed(1)} s`);

  log('export: psql \\copy (SELECT ...) TO STDOUT, then GET /v1/bars/stream as NDJSON and CSV');
  const exportSql = `SELECT ts, open, high, low, close, volume FROM bars WHERE instrument_id = ${instrumentId} AND interval = '1m' ORDER BY ts`;
  const psqlExport = await psql(ctx.database.url, `\\copy (${exportSql}) TO STDOUT WITH (FORMAT csv, HEADER)`, 'pipe');
  const ndjson = await download(server, 'application/x-ndjson');
  const csv = await download(server, 'text/csv');
  if (ndjson.lines !== rows || csv.lines !== rows + 1) throw new Error(`export returned ${ndjson.lines} NDJSON and ${csv.lines} CSV lines for ${rows} rows`);

  log(`row-by-row INSERTs (${insertRows.toLocaleString('en-US')} rows, one statement each, autocommit)`);
  await client.query('TRUNCATE bars');
  const insertRate = await rowByRow(client, instrumentId, file);

  const rate = (seconds: number) => Math.round(rows / seconds);
  const report = {
    rows,
    csvMegabytes: Number(mb),
    ingest: {
      psqlCopyRowsPerSecond: rate(psqlSeconds),
      postBarsRowsPerSecond: rate(first.seconds),
      ratioToPsqlCopy: ratio(psqlSeconds, first.seconds),
      resendRowsPerSecond: rate(again.seconds),
      rowByRowInsertRowsPerSecond: Math.round(insertRate),
      ratioToRowByRow: ratio(rate(first.seconds), insertRate),
    },
    export: {
      psqlCopyRowsPerSecond: rate(psqlExport),
      ndjsonRowsPerSecond: rate(ndjson.seconds),
      ndjsonRatioToPsql: ratio(psqlExport, ndjson.seconds),
      csvRowsPerSecond: rate(csv.seconds),
      csvRatioToPsql: ratio(psqlExport, csv.seconds),
      serverRssGrowthMb: { ndjson: ndjson.rssGrowthMb, csv: csv.rssGrowthMb },
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await server.stop();
  await client.end();
  await ctx.cleanup();
}
