import { gunzipSync } from 'node:zlib';
import type { Service } from '@meridian/service';
import { createTestContext, signedRequest, type TestContext } from '@meridian/service/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { WireBar } from './helpers.js';

let ctx: TestContext;
let app: Service;
let db: pg.Client;
const ingested: string[] = [];

function call(method: 'GET' | 'POST', url: string, options: { payload?: string | object; headers?: Record<string, string> } = {}) {
  return app.inject(signedRequest(app.config, method, url, options));
}

function upload(symbol: string, body: string, type = 'text/csv', interval = '1d') {
  return call('POST', `/v1/bars?symbol=${symbol}&interval=${interval}`, { payload: body, headers: { 'content-type': type } });
}

async function storedCount(symbol: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bars JOIN instruments i ON i.id = instrument_id WHERE i.symbol = $1', [symbol]);
  return rows[0]?.n ?? 0;
}

/** Deterministic daily bars with awkward decimals, weekdays only, ascending. */
function series(count: number, start = Date.UTC(2019, 0, 1)): WireBar[] {
  const out: WireBar[] = [];
  let price = 100.123456789;
  for (let day = 0; out.length < count; day++) {
    const ts = start + day * 86_400_000;
    const weekday = new Date(ts).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const open = price;
    price = price * (1 + Math.sin(day * 1.7) * 0.02) + 0.1 + 0.2;
    const close = price;
    out.push({ ts: new Date(ts).toISOString(), open, high: Math.max(open, close) * 1.01, low: Math.min(open, close) * 0.99, close, volume: day % 5 === 0 ? null : 1000 + day });
  }
  return out;
}

function csv(bars: WireBar[]): string {
  return ['date,open,high,low,close,adjclose,volume', ...bars.map((b) => `${b.ts.slice(0, 10)},${b.open},${b.high},${b.low},${b.close},0,${b.volume ?? ''}`)].join('\n') + '\n';
}

async function readAll(symbol: string, limit: number, query = ''): Promise<{ items: WireBar[]; pages: number }> {
  const items: WireBar[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await call('GET', `/v1/bars?symbol=${symbol}&limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    const page = res.json() as { items: WireBar[]; next: string | null };
    items.push(...page.items);
    cursor = page.next;
    pages++;
  } while (cursor !== null);
  return { items, pages };
}

beforeAll(async () => {
  ctx = await createTestContext();
  app = await buildApp({
    config: ctx.config('signals'),
    bars: {
      onIngested: async (symbol, interval) => {
        ingested.push(`${symbol}/${interval}`);
      },
    },
  });
  db = new pg.Client({ connectionString: ctx.database.url });
  await db.connect();
  for (const symbol of ['CSV', 'JSONL', 'BAD', 'LONG', 'PAGE']) {
    await call('POST', '/v1/instruments', { payload: { symbol, name: symbol } });
  }
});
afterAll(async () => {
  await db.end();
  await app.close();
  await ctx.cleanup();
});

describe('CSV ingest', () => {
  const bars = series(300);

  it('stores every bar exactly, counts them, and tells the cache hook', async () => {
    const res = await upload('CSV', csv(bars));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ symbol: 'CSV', interval: '1d', rows: 300, inserted: 300, updated: 0, unchanged: 0, rejected: 0 });
    expect((await readAll('CSV', 10_000)).items).toEqual(bars);
    expect(ingested).toContain('CSV/1d');
  });

  it('changes nothing when the same file is sent again, and overwrites a corrected bar', async () => {
    const again = await upload('CSV', csv(bars));
    expect(again.json()).toMatchObject({ inserted: 0, updated: 0, unchanged: 300 });
    expect(await storedCount('CSV')).toBe(300);

    const corrected = bars.map((b, i) => (i === 10 ? { ...b, close: b.low } : b));
    expect((await upload('CSV', csv(corrected))).json()).toMatchObject({ inserted: 0, updated: 1, unchanged: 299 });
    expect((await readAll('CSV', 10_000)).items[10]?.close).toBe(bars[10]?.low);
  });
});

describe('NDJSON ingest', () => {
  it('round-trips exactly, with date-times in any zone stored as UTC', async () => {
    const bars = series(50).map((b, i) => ({ ...b, ts: new Date(Date.parse(b.ts) + i * 60_000 + 123).toISOString() }));
    const body = bars
      .map((b, i) => JSON.stringify({ ...b, ts: i === 0 ? b.ts.replace('Z', '+00:00') : b.ts }))
      .join('\n');
    const res = await upload('JSONL', body, 'application/x-ndjson');
    expect(res.json()).toMatchObject({ rows: 50, inserted: 50 });
    expect((await readAll('JSONL', 10_000)).items).toEqual(bars);
  });
});

describe('a file with bad lines', () => {
  it('is refused whole with the line numbers and reasons, leaving the table unchanged', async () => {
    await upload('BAD', csv(series(5)));
    const lines = csv(series(20, Date.UTC(2021, 0, 1))).trimEnd().split('\n');
    lines[4] = '2021-01-07,10,9,11,10,0,100'; // high below low
    lines[8] = '2021-13-45,10,11,9,10,0,100'; // no such date
    lines[12] = '2021-01-19,ten,11,9,10,0,100';
    const res = await upload('BAD', lines.join('\n'));
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ type: '/problems/bars-rejected', rows: 17, rejected: 3 });
    expect(body.rejections).toEqual([
      { line: 5, reason: 'high 9 is below low 11' },
      { line: 9, reason: expect.stringContaining('unparseable date "2021-13-45"') },
      { line: 13, reason: 'open is not a number: "ten"' },
    ]);
    expect(body.detail).toContain('nothing was stored');
    expect(await storedCount('BAD')).toBe(5);
  });

  it('is refused with 400 naming the line when a line runs past 4,096 characters without a break', async () => {
    await upload('LONG', csv(series(3)));
    const lines = csv(series(5, Date.UTC(2021, 0, 1))).trimEnd().split('\n');
    const res = await upload('LONG', `${lines.slice(0, 3).join('\n')}\n${'9'.repeat(100_000)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: '/problems/bars-rejected', rejected: 1, rejections: [{ line: 4, reason: expect.stringContaining('longer than 4096 characters') }] });
    expect(await storedCount('LONG')).toBe(3);
  });

  it('is refused when a timestamp repeats, naming both lines', async () => {
    const bars = series(10, Date.UTC(2022, 0, 3));
    const shuffled = [bars[3], bars[1], bars[2], bars[0], bars[1], ...bars.slice(4)] as WireBar[];
    const res = await upload('BAD', csv(shuffled));
    expect(res.statusCode).toBe(400);
    expect(res.json().rejections).toEqual([{ line: 6, reason: `duplicate timestamp ${bars[1]?.ts}, first seen on line 3` }]);
    expect(await storedCount('BAD')).toBe(5);
  });

  it('is refused when the header lacks a column', async () => {
    const res = await upload('BAD', 'date,open,high,close\n2020-01-02,1,2,1\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().rejections[0]).toEqual({ line: 1, reason: expect.stringContaining('the header lacks low') });
  });

  it('answers 404 for an unknown symbol and 415 for a body that is not CSV or NDJSON', async () => {
    expect((await upload('NOPE', csv(series(2)))).statusCode).toBe(404);
    const res = await upload('BAD', '{"a":1}', 'application/json');
    expect(res.statusCode).toBe(415);
    expect(res.json().detail).toContain('text/csv');
  });
});

describe('reading bars', () => {
  const bars = series(257, Date.UTC(2015, 0, 1));

  beforeAll(async () => {
    await upload('PAGE', csv(bars));
  });

  it('pages through a range returning every bar exactly once, in order', async () => {
    const { items, pages } = await readAll('PAGE', 10);
    expect(pages).toBe(26);
    expect(items).toEqual(bars);
  });

  it('treats from and to as inclusive, a bare date as its whole day', async () => {
    const { items } = await readAll('PAGE', 7, `&from=${bars[20]?.ts.slice(0, 10)}&to=${bars[40]?.ts.slice(0, 10)}`);
    expect(items).toEqual(bars.slice(20, 41));
  });

  it('streams the same range as NDJSON that equals the paginated JSON', async () => {
    const query = `symbol=PAGE&from=${bars[3]?.ts}&to=${bars[200]?.ts}`;
    const res = await call('GET', `/v1/bars/stream?${query}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    const streamed = res.body.trimEnd().split('\n').map((line) => JSON.parse(line) as WireBar);
    expect(streamed).toEqual((await readAll('PAGE', 50, `&from=${bars[3]?.ts}&to=${bars[200]?.ts}`)).items);
    expect(streamed).toHaveLength(198);
  });

  it('streams CSV that uploads again unchanged, and compresses when asked', async () => {
    const res = await call('GET', '/v1/bars/stream?symbol=PAGE', { headers: { accept: 'text/csv', 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(res.rawPayload).toString('utf8');
    expect(text.split('\n')[0]).toBe('date,open,high,low,close,volume');
    expect((await upload('PAGE', text)).json()).toMatchObject({ rows: 257, unchanged: 257 });
  });

  it('treats injection attempts in parameters as invalid input, not SQL', async () => {
    const attempts = [
      '/v1/bars?symbol=PAGE%27%20OR%201=1--',
      '/v1/bars?symbol=PAGE&from=2015-01-01%27;DROP%20TABLE%20bars;--',
      '/v1/bars?symbol=PAGE&cursor=1%20OR%201=1',
      '/v1/bars/stream?symbol=PAGE&to=%27);DROP%20TABLE%20bars;--',
      '/v1/bars?symbol=PAGE&interval=1d%27--',
    ];
    for (const url of attempts) expect((await call('GET', url)).statusCode, url).toBe(400);
    expect(await storedCount('PAGE')).toBe(257);
  });
});
