import { backtest, parseRuleSpec } from '@meridian/market';
import { describe, expect, it } from 'vitest';
import type { callerFor} from './helpers.js';
import { researchFile, until } from './helpers.js';

const file = researchFile();
const acme: ReturnType<typeof callerFor> = (...args) => file.acme(...args);
const globex: ReturnType<typeof callerFor> = (...args) => file.globex(...args);

const spec = { type: 'ma-cross', fast: 20, slow: 100 };
const request = { spec, symbol: 'SPX', from: '2005-01-01', to: '2019-12-31', config: { fees: { rate: 0.0005 } } };

async function completed(id: string) {
  return until(async () => (await acme('GET', `/v1/backtests/${id}`)).json(), (b) => ['completed', 'failed', 'cancelled'].includes(b.state));
}

/** The same backtest run directly by the quant core over the same bars. */
async function direct(from: string, to: string, config: object) {
  return backtest(await file.spx(from, to), parseRuleSpec(spec), config);
}

describe('submitting a backtest', () => {
  let id: string;

  it('queues it, runs it on a worker and stores metrics and trades equal to the quant core run directly', async () => {
    const res = await acme('POST', '/v1/backtests', request);
    expect(res.statusCode).toBe(202);
    id = res.json().id;
    expect(res.json()).toMatchObject({ state: 'queued', links: { self: `/v1/backtests/${id}` } });
    expect(res.headers.location).toBe(`/v1/backtests/${id}`);
    const done = await completed(id);
    expect(done).toMatchObject({ state: 'completed', progress: 100, symbol: 'SPX', interval: '1d', error: null });
    const expected = await direct('2005-01-01', '2019-12-31', request.config);
    expect(done.metrics).toEqual(JSON.parse(JSON.stringify(expected.metrics)));
    const trades = (await acme('GET', `/v1/backtests/${id}/trades?limit=1000`)).json().items;
    expect(trades).toHaveLength(expected.trades.length);
    expect(trades.map((t: { entryPrice: number; exitPrice: number; pnl: number; entryTime: string }) => [t.entryTime, t.entryPrice, t.exitPrice, t.pnl])).toEqual(
      expected.trades.map((t) => [new Date(t.entryTime).toISOString(), t.entryPrice, t.exitPrice, t.pnl]),
    );
  });

  it('returns the same backtest for the same request, however its keys are ordered, and runs nothing new', async () => {
    const again = await acme('POST', '/v1/backtests', { config: { fees: { rate: 0.0005 } }, to: '2019-12-31', from: '2005-01-01', symbol: 'SPX', spec: { slow: 100, fast: 20, type: 'ma-cross' } });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ id, state: 'completed' });
    const listed = (await acme('GET', '/v1/backtests?symbol=SPX')).json().items.filter((b: { id: string }) => b.id === id);
    expect(listed).toHaveLength(1);
  });

  it('refuses at submission what the job would fail on: unknown symbol, empty range, too few bars for the warm-up', async () => {
    const unknown = await acme('POST', '/v1/backtests', { ...request, symbol: 'NOPE' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toMatch(/No instrument NOPE/);
    const empty = await acme('POST', '/v1/backtests', { ...request, from: '2010-01-01', to: '2009-01-01' });
    expect(empty.json().detail).toMatch(/The range is empty/);
    const noBars = await acme('POST', '/v1/backtests', { ...request, from: '1990-01-01', to: '1990-12-31' });
    expect(noBars.json().detail).toMatch(/has no 1d bars in the range/);
    const warmup = await acme('POST', '/v1/backtests', { ...request, from: '2005-01-01', to: '2005-03-31' });
    expect(warmup.statusCode).toBe(400);
    expect(warmup.json().detail).toMatch(/SPX has \d+ 1d bars in the range, but the rule needs 100/);
    expect((await acme('POST', '/v1/backtests', { ...request, spec: { type: 'ma-cross', fast: 100, slow: 20 } })).json().errors).toEqual([{ field: 'spec.fast', message: 'must be less than slow (20)' }]);
    expect((await acme('POST', '/v1/backtests', { ...request, strategyId: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(400);
  });

  it('runs a saved strategy with its settings overridden per request, and judges it by its gates', async () => {
    const strategy = await acme('POST', '/v1/strategies', {
      name: 'trend',
      spec,
      config: { capital: 50_000 },
      gates: { minTrades: 5, criteria: [{ metric: 'maxDrawdown', max: 0.9 }, { metric: 'sharpe', min: 5 }] },
    });
    const res = await acme('POST', '/v1/backtests', { strategyId: strategy.json().id, symbol: 'SPX', from: '2005-01-01', config: { slippageBps: 5 } });
    const done = await completed(res.json().id);
    expect(done.request.config).toMatchObject({ capital: 50_000, slippageBps: 5 });
    expect(done.gates).toMatchObject({ passed: false, verdicts: [{ metric: 'maxDrawdown', passed: true }, { metric: 'sharpe', passed: false }] });
    const gates = (await acme('GET', `/v1/strategies/${strategy.json().id}/gates`)).json();
    expect(gates.backtest).toMatchObject({ id: done.id, verdict: done.gates });
    expect((await acme('DELETE', `/v1/strategies/${strategy.json().id}`)).statusCode).toBe(409);
    expect((await acme('DELETE', `/v1/strategies/${strategy.json().id}?cascade=true`)).statusCode).toBe(204);
    expect((await acme('GET', `/v1/backtests/${done.id}`)).statusCode).toBe(404);
  });

  it('lists backtests sorted by a metric, a page at a time, undefined metrics last', async () => {
    const fasts = [5, 10, 30, 40];
    const ids = [];
    for (const fast of fasts) ids.push((await acme('POST', '/v1/backtests', { ...request, spec: { ...spec, fast } })).json().id);
    for (const one of ids) await completed(one);
    const all = (await acme('GET', '/v1/backtests?sort=sharpe&state=completed&limit=100')).json().items;
    const sharpes = all.map((b: { metrics: { sharpe: number | null } }) => b.metrics.sharpe ?? Number.NEGATIVE_INFINITY);
    expect(sharpes).toEqual([...sharpes].sort((a, b) => b - a));
    const pages = [];
    let cursor = '';
    do {
      const page = (await acme('GET', `/v1/backtests?sort=sharpe&state=completed&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      pages.push(...page.items.map((b: { id: string }) => b.id));
      cursor = page.nextCursor ?? '';
    } while (cursor);
    expect(pages).toEqual(all.map((b: { id: string }) => b.id));
    const byDrawdown = (await acme('GET', '/v1/backtests?sort=maxDrawdown&order=asc&limit=100')).json().items.map((b: { metrics: { maxDrawdown: number } }) => b.metrics.maxDrawdown);
    expect(byDrawdown).toEqual([...byDrawdown].sort((a, b) => a - b));
  });

  it('serves the equity curve cut to a number of points with its extremes kept, or whole as NDJSON', async () => {
    const whole = await acme('GET', `/v1/backtests/${id}/equity?format=ndjson`);
    expect(whole.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = whole.body.trim().split('\n').map((line) => JSON.parse(line));
    const cut = (await acme('GET', `/v1/backtests/${id}/equity?points=100`)).json();
    expect(cut.total).toBe(lines.length);
    expect(cut.points).toBeLessThanOrEqual(100);
    expect(cut.ts[0]).toBe(lines[0].ts);
    expect(cut.ts.at(-1)).toBe(lines.at(-1).ts);
    expect(Math.max(...cut.equity)).toBe(Math.max(...lines.map((l: { equity: number }) => l.equity)));
    expect(Math.min(...cut.equity)).toBe(Math.min(...lines.map((l: { equity: number }) => l.equity)));
    expect(Math.max(...cut.drawdown)).toBeCloseTo((await acme('GET', `/v1/backtests/${id}`)).json().metrics.maxDrawdown, 12);
  });

  it('streams progress as Server-Sent Events until the backtest completes', async () => {
    const res = await acme('POST', '/v1/backtests', { ...request, from: '2001-01-01' });
    const events = await acme('GET', `/v1/backtests/${res.json().id}/events`);
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    const names = [...events.body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names.at(-1)).toBe('completed');
    const progress = [...events.body.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] as string).progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
  });

  it('cancels queued work: it never runs, and the same request again runs it anew', async () => {
    await file.stopWorker();
    const res = await acme('POST', '/v1/backtests', { ...request, from: '2003-01-01' });
    const cancelled = await acme('DELETE', `/v1/backtests/${res.json().id}`);
    expect(cancelled.statusCode).toBe(202);
    expect(cancelled.json()).toEqual({ id: res.json().id, state: 'cancelled' });
    expect((await acme('DELETE', `/v1/backtests/${res.json().id}`)).statusCode).toBe(409);
    await file.restartWorker();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await acme('GET', `/v1/backtests/${res.json().id}`)).json()).toMatchObject({ state: 'cancelled', metrics: null });
    const again = await acme('POST', '/v1/backtests', { ...request, from: '2003-01-01' });
    expect(again.json()).toMatchObject({ id: res.json().id, state: 'queued' });
    expect((await completed(res.json().id)).state).toBe('completed');
  });

  it('stops running work at its next checkpoint and writes nothing', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached: () => void = () => undefined;
    const atCheckpoint = new Promise<void>((resolve) => (reached = resolve));
    await file.restartWorker({
      pause: async (_job, at) => {
        if (at !== 'write') return;
        reached();
        await held;
      },
    });
    const res = await acme('POST', '/v1/backtests', { ...request, from: '2004-01-01' });
    await atCheckpoint;
    expect((await acme('GET', `/v1/backtests/${res.json().id}`)).json().state).toBe('running');
    expect((await acme('DELETE', `/v1/backtests/${res.json().id}`)).json().state).toBe('cancelled');
    release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = (await acme('GET', `/v1/backtests/${res.json().id}`)).json();
    expect(after).toMatchObject({ state: 'cancelled', metrics: null });
    expect((await acme('GET', `/v1/backtests/${res.json().id}/trades`)).json().items).toEqual([]);
    await file.restartWorker();
  });

  it("hides another tenant's backtest behind 404 on every route", async () => {
    for (const [method, url] of [['GET', ''], ['GET', '/trades'], ['GET', '/equity'], ['GET', '/events'], ['GET', '/report'], ['DELETE', '']] as const) {
      const res = await globex(method, `/v1/backtests/${id}${url}`);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await globex('GET', '/v1/backtests')).json().items).toEqual([]);
  });

  it('renders a self-contained report page with its own content security policy', async () => {
    const res = await acme('GET', `/v1/backtests/${id}/report`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'nonce-/);
    expect(res.body).not.toMatch(/<script[^>]+src=/);
    expect(res.body).toContain('Backtest of SPX (1d)');
    const view = (await acme('GET', `/v1/backtests/${id}`)).json();
    expect(view.links.report).toMatch(new RegExp(`^/v1/backtests/${id}/report\\?link=key-acme\\.\\d+\\.[\\w-]{43}$`));
  });
});
