import { Accepted, Backtest, BacktestPage, BacktestRequest, EquityCurve, Problem, RunState, TradePage } from '@meridian/contracts';
import { BACKTEST_SORTS, BacktestRepository, StrategyRepository, type BacktestRow, type RunState as State } from '@meridian/db';
import { deterministicJobId } from '@meridian/queue';
import { HttpProblem, streamProgress } from '@meridian/service';
import { sendPage } from '@meridian/service/html-page';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BarSource } from '../../bars.js';
import { downsampleIndexes, drawdowns } from '../../equity.js';
import type { ResearchJobs } from '../../jobs/queue.js';
import { paged, pageQuery } from '../../pages.js';
import { backtestReport } from '../../report/backtest.js';
import { resolveTarget, type TargetInput } from '../../requests.js';
import { submitRun } from '../../submit.js';
import { backtestView, finalEvent } from '../../views.js';

const Id = Type.Object({ id: Type.String({ maxLength: 128 }) });
const iso = (ms: number) => new Date(ms).toISOString();

export interface BacktestRouteOptions {
  jobs: ResearchJobs;
  bars: BarSource;
}

export const backtestRoutes: FastifyPluginAsyncTypebox<BacktestRouteOptions> = async (app, { jobs, bars }) => {
  const strategies = new StrategyRepository(app.db.write, app.db.read);
  const backtests = new BacktestRepository(app.db.write, app.db.read);
  const secret = app.config.internalSecret;

  async function find(tenant: string, id: string): Promise<BacktestRow> {
    const row = await backtests.get(tenant, id);
    if (!row) throw new HttpProblem(404, 'not-found', `No backtest ${id}.`);
    return row;
  }
  const progressOf = async (row: BacktestRow) => (row.state === 'running' ? ((await jobs.progress('backtest', row.id, row.runs)) ?? 0) : 0);

  app.post('/v1/backtests', {
    schema: {
      tags: ['backtests'],
      summary: 'Queue a backtest of a strategy (or an inline rule spec) on one symbol',
      description: 'The id is a hash of the tenant and the normalised request: the same request again returns the same backtest (202, nothing new runs) unless it failed or was cancelled, when it runs again.',
      body: BacktestRequest,
      response: { 202: Accepted, 400: Problem, 404: Problem, 503: Problem },
    },
  }, async (request, reply) => {
    const { tenant } = request.caller;
    const { target } = await resolveTarget({ strategies, bars }, tenant, request.body as TargetInput);
    const normalised = { strategyId: target.strategyId, spec: target.rawSpec, config: target.config, symbol: target.symbol, interval: target.interval, from: target.from === null ? null : iso(target.from), to: target.to === null ? null : iso(target.to) };
    const id = deterministicJobId('bt', tenant, normalised);
    const submitted = await submitRun(
      backtests,
      tenant,
      () => backtests.insert({ id, tenant, strategyId: target.strategyId, symbol: target.symbol, interval: target.interval, request: normalised }),
      (runs) => jobs.queue('backtest', { id, tenant }, runs),
    );
    const view = backtestView(await find(tenant, id), 0, secret, request.caller);
    return reply.code(202).header('location', view.links.self).send({ id, state: submitted.state, links: view.links });
  });

  app.get('/v1/backtests', {
    schema: {
      tags: ['backtests'],
      summary: "The caller's backtests, sorted by an indexed key",
      description: 'Undefined metrics (no trades) sort as the worst value. Pages are keyset-paged: pass nextCursor back as cursor.',
      querystring: Type.Object({
        strategyId: Type.Optional(Type.String({ format: 'uuid' })),
        symbol: Type.Optional(Type.String({ maxLength: 32 })),
        state: Type.Optional(RunState),
        sort: Type.Optional(Type.Enum(BACKTEST_SORTS, { default: 'created' })),
        ...pageQuery,
      }),
      response: { 200: BacktestPage, 400: Problem },
    },
  }, async (request) => {
    const query = request.query as Required<typeof request.query>;
    const page = await paged(() => backtests.list(request.caller.tenant, { ...query, state: query.state as State | undefined }));
    return { items: await Promise.all(page.items.map(async (row) => backtestView(row, await progressOf(row), secret, request.caller))), nextCursor: page.nextCursor };
  });

  app.get('/v1/backtests/:id', {
    schema: { tags: ['backtests'], summary: 'State, progress, request, metrics, gate verdicts and error of a backtest', params: Id, response: { 200: Backtest, 404: Problem } },
  }, async (request) => {
    const row = await find(request.caller.tenant, request.params.id);
    return backtestView(row, await progressOf(row), secret, request.caller);
  });

  app.get('/v1/backtests/:id/events', {
    schema: {
      tags: ['backtests'],
      summary: 'Progress as Server-Sent Events until the backtest ends',
      description: 'A `progress` event at each change, carrying the backtest as GET /v1/backtests/{id} shows it; the stream ends with a `completed`, `failed` or `cancelled` event.',
      params: Id,
      produces: ['text/event-stream'],
      response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/event-stream' }), 404: Problem },
    },
  }, async (request, reply) => {
    const { tenant } = request.caller;
    const view = async (row: BacktestRow) => backtestView(row, await progressOf(row), secret, request.caller);
    await streamProgress(request, reply, await view(await find(tenant, request.params.id)), {
      read: async () => {
        const row = await backtests.get(tenant, request.params.id);
        return row ? view(row) : undefined;
      },
      fingerprint: (v) => `${v.state}:${v.progress}`,
      final: finalEvent,
      merge: (next, previous) => ({ ...next, progress: Math.max(next.progress, previous.state === next.state ? previous.progress : 0) }),
    });
  });

  app.delete('/v1/backtests/:id', {
    schema: {
      tags: ['backtests'],
      summary: 'Cancel a queued or running backtest',
      description: 'Queued work is removed; running work stops at its next checkpoint and writes nothing. A finished backtest answers 409.',
      params: Id,
      response: { 202: Type.Object({ id: Type.String(), state: RunState }), 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const row = await find(request.caller.tenant, request.params.id);
    const outcome = await backtests.cancel(request.caller.tenant, row.id);
    if (!outcome?.changed) throw new HttpProblem(409, 'conflict', `The backtest is already ${outcome?.state ?? row.state}; only queued or running work can be cancelled.`);
    await jobs.cancel('backtest', row.id, row.runs);
    return reply.code(202).send({ id: row.id, state: outcome.state });
  });

  app.get('/v1/backtests/:id/trades', {
    schema: {
      tags: ['backtests'],
      summary: 'The closed trades of a backtest, in order',
      params: Id,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.String({ pattern: '^\\d{1,9}$', description: 'nextCursor of the previous page' })) }),
      response: { 200: TradePage, 404: Problem },
    },
  }, async (request) => {
    const row = await find(request.caller.tenant, request.params.id);
    const limit = request.query.limit as number;
    const trades = await backtests.trades(row.id, Number(request.query.cursor ?? 0), limit + 1);
    const page = trades.slice(0, limit);
    return {
      items: page.map((t) => ({ ...t, entryTime: t.entryTime.toISOString(), exitTime: t.exitTime.toISOString() })),
      nextCursor: trades.length > limit ? String(page.at(-1)?.seq) : null,
    };
  });

  app.get('/v1/backtests/:id/equity', {
    schema: {
      tags: ['backtests'],
      summary: 'The equity curve and drawdown, cut to `points` with the extremes kept, or whole as NDJSON',
      params: Id,
      querystring: Type.Object({
        points: Type.Optional(Type.Integer({ minimum: 10, maximum: 100_000, default: 1000 })),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('ndjson')], { default: 'json', description: 'ndjson: every point, one JSON object per line' })),
      }),
      response: { 200: EquityCurve, 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const row = await find(request.caller.tenant, request.params.id);
    const curve = await backtests.equity(row.id);
    if (!curve) throw new HttpProblem(409, 'not-finished', `The backtest is ${row.state}; its curve exists once it has completed.`);
    const drawdown = drawdowns(curve.equity);
    if (request.query.format === 'ndjson') {
      const lines = curve.ts.map((t, i) => JSON.stringify({ ts: iso(t), equity: curve.equity[i], drawdown: drawdown[i], close: curve.close[i] }));
      // The response schema describes the JSON form; this one is text.
      return reply.type('application/x-ndjson').send(`${lines.join('\n')}\n` as never);
    }
    const keep = downsampleIndexes(curve.equity, drawdown, request.query.points as number);
    return {
      points: keep.length,
      total: curve.ts.length,
      ts: keep.map((i) => iso(curve.ts[i] as number)),
      equity: keep.map((i) => curve.equity[i] as number),
      drawdown: keep.map((i) => drawdown[i] as number),
    };
  });

  app.get('/v1/backtests/:id/report', {
    schema: {
      tags: ['backtests'],
      summary: 'A self-contained HTML report: price with entries and exits, equity, drawdown, metrics, gates and trades',
      description: 'For a browser, open the `links.report` URL of the backtest: a signed link that works without the API key until it expires.',
      params: Id,
      produces: ['text/html'],
      response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/html' }), 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const row = await find(request.caller.tenant, request.params.id);
    const curve = await backtests.equity(row.id);
    if (!curve) throw new HttpProblem(409, 'not-finished', `The backtest is ${row.state}; its report exists once it has completed.`);
    const trades = await backtests.trades(row.id, 0, 100_000);
    const page = backtestReport(row, curve, trades);
    return sendPage(reply, page);
  });
};
