import { createPools } from '@meridian/db';
import { expandGrid, validateWalkForward } from '@meridian/market';
import { beforeAll, describe, expect, it } from 'vitest';
import type { callerFor} from './helpers.js';
import { researchFile, until } from './helpers.js';

const file = researchFile();
const acme: ReturnType<typeof callerFor> = (...args) => file.acme(...args);
const globex: ReturnType<typeof callerFor> = (...args) => file.globex(...args);

const spec = { type: 'ma-cross' };
const grid = { fast: [10, 20, 50], slow: { from: 100, to: 200, step: 50 } };

const finished = (path: string) => until(async () => (await acme('GET', path)).json(), (s) => ['completed', 'failed', 'cancelled'].includes(s.state), 60_000);

describe('sweep requests', () => {
  it('refuses a grid that repeats a value, names an unknown parameter in a constraint, or leaves nothing to run', async () => {
    const repeated = await acme('POST', '/v1/sweeps', { spec, symbol: 'SPX', grid: { fast: [5, 50, 5] } });
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json().detail).toMatch(/grid.fast repeats a value.*"from": 5, "to": 50, "step": 5/);
    const unknown = await acme('POST', '/v1/sweeps', { spec, symbol: 'SPX', grid, constraints: { where: ['fast < slower'] } });
    expect(unknown.json().errors).toEqual([{ field: 'constraints.where.0', message: 'unknown parameter slower' }]);
    const none = await acme('POST', '/v1/sweeps', { spec, symbol: 'SPX', grid, constraints: { where: ['fast > slow'] } });
    expect(none.json().detail).toMatch(/No parameter set satisfies the constraints/);
  });

  it('ranks a small sweep, keeps every objective for the heatmap and renders its report', async () => {
    const res = await acme('POST', '/v1/sweeps', { spec, symbol: 'SPX', grid, objective: 'calmar', top: 3 });
    expect(res.statusCode).toBe(202);
    const done = await finished(`/v1/sweeps/${res.json().id}`);
    expect(done).toMatchObject({ state: 'completed', progress: 100, result: { objective: 'calmar', combinations: 9, invalid: 0 } });
    expect(done.result.top.map((r: { rank: number }) => r.rank)).toEqual([1, 2, 3]);
    const objectives = done.result.top.map((r: { objective: number }) => r.objective);
    expect(objectives).toEqual([...objectives].sort((a, b) => b - a));
    expect(done.result.grid.map((g: { params: object }) => g.params)).toEqual(expandGrid(grid));
    const report = await acme('GET', `/v1/sweeps/${res.json().id}/report`);
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('id="heatmap"');
    expect(report.body.match(/<td style="background:hsl/g)).toHaveLength(9);
    expect((await globex('GET', `/v1/sweeps/${res.json().id}`)).statusCode).toBe(404);
    expect((await globex('GET', `/v1/sweeps/${res.json().id}/report`)).statusCode).toBe(404);
    expect((await globex('GET', `/v1/sweeps/${res.json().id}/events`)).statusCode).toBe(404);
    expect((await globex('DELETE', `/v1/sweeps/${res.json().id}`)).statusCode).toBe(404);
  });

  it('cancels a queued sweep: it never completes', async () => {
    await file.stopWorker();
    const res = await acme('POST', '/v1/sweeps', { spec, symbol: 'SPX', grid, objective: 'sortino' });
    expect((await acme('DELETE', `/v1/sweeps/${res.json().id}`)).json().state).toBe('cancelled');
    await file.restartWorker();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await acme('GET', `/v1/sweeps/${res.json().id}`)).json()).toMatchObject({ state: 'cancelled', result: null });
  });
});

describe('walk-forward validations', () => {
  it('report every split, the chained out-of-sample curve and the gate verdicts, as the quant core computes them', async () => {
    const strategy = (
      await acme('POST', '/v1/strategies', { name: 'wf', spec, gates: { minTrades: 1, criteria: [{ metric: 'maxDrawdown', max: 0.99 }] } })
    ).json();
    const body = { strategyId: strategy.id, symbol: 'SPX', from: '2000-01-01', grid, mode: 'anchored', inSample: 1000, outOfSample: 500 };
    const res = await acme('POST', '/v1/validations', body);
    expect(res.statusCode).toBe(202);
    const done = await finished(`/v1/validations/${res.json().id}`);
    expect(done.state).toBe('completed');
    const series = await file.spx('2000-01-01');
    const expected = validateWalkForward(series, spec, expandGrid(grid), {}, { objective: 'sharpe', mode: 'anchored', inSample: 1000, outOfSample: 500 });
    expect(done.result.splits.map((s: { params: object }) => s.params)).toEqual(expected.splits.map((s) => s.params));
    expect(done.result.efficiency).toBe(expected.efficiency);
    expect(done.result.equity.equity).toHaveLength(expected.equity.equity.length);
    expect(done.gates).toMatchObject({ passed: true, verdicts: [{ metric: 'maxDrawdown', passed: true }] });
    const gates = (await acme('GET', `/v1/strategies/${strategy.id}/gates`)).json();
    expect(gates.validation).toMatchObject({ id: done.id, verdict: done.gates });
    for (const [method, suffix] of [['GET', ''], ['GET', '/events'], ['GET', '/report'], ['DELETE', '']] as const) {
      expect((await globex(method, `/v1/validations/${done.id}${suffix}`)).statusCode, `${method} ${suffix}`).toBe(404);
    }
    // A sweep's id is not a validation's: each kind is found only under its own path.
    expect((await acme('GET', `/v1/sweeps/${done.id}`)).statusCode).toBe(404);
    const report = await acme('GET', `/v1/validations/${done.id}/report`);
    expect(report.body).toContain('Walk-forward validation of SPX (anchored)');
  });

  it('refuses windows longer than the range', async () => {
    const res = await acme('POST', '/v1/validations', { spec, symbol: 'SPX', from: '2015-01-01', grid, inSample: 5000, outOfSample: 500 });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/not enough for one split of 5000 in-sample and 500 out-of-sample bars/);
  });
});

describe('portfolio optimisation', () => {
  beforeAll(async () => {
    // A second asset: SPX's own bars shifted into a calmer one, so the two differ.
    const pools = createPools(file.ctx.config('backtest').database, 'portfolio');
    await pools.write.query("INSERT INTO instruments (symbol, name, asset_class, currency) VALUES ('CALM', 'Calm', 'index', 'USD')");
    await pools.write.query(`INSERT INTO bars (instrument_id, interval, ts, open, high, low, close, volume)
      SELECT (SELECT id FROM instruments WHERE symbol = 'CALM'), interval, ts, 100 + open / 50, 100 + high / 50, 100 + low / 50, 100 + close / 50, volume
      FROM bars WHERE instrument_id = (SELECT id FROM instruments WHERE symbol = 'SPX')`);
    await pools.close();
  });

  for (const method of ['min_variance', 'max_sharpe', 'risk_parity'] as const) {
    it(`gives ${method} weights that sum to 1 within their caps and a rebalanced equity curve`, async () => {
      const res = await acme('POST', '/v1/portfolios/optimize', { symbols: ['SPX', 'CALM'], from: '2010-01-01', method, caps: method === 'risk_parity' ? undefined : 0.9, rebalance: 'quarterly' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      const weights = Object.values(body.weights) as number[];
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      for (const w of weights) expect(w).toBeLessThanOrEqual(method === 'risk_parity' ? 1 : 0.9 + 1e-9);
      expect(body.volatility).toBeGreaterThan(0);
      expect(body.equity.equity[0]).toBe(100_000);
      expect(body.equity.ts).toHaveLength(body.bars);
      expect(body.metrics.tradeCount).toBe(0);
    });
  }

  it('puts more weight on the calmer asset for minimum variance', async () => {
    const body = (await acme('POST', '/v1/portfolios/optimize', { symbols: ['SPX', 'CALM'], from: '2010-01-01', method: 'min_variance' })).json();
    expect(body.weights.CALM).toBeGreaterThan(body.weights.SPX);
  });

  it('names an unknown symbol', async () => {
    const res = await acme('POST', '/v1/portfolios/optimize', { symbols: ['SPX', 'NOPE'], method: 'min_variance' });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('No instrument NOPE.');
  });
});
