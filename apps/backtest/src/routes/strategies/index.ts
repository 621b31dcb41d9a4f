import { NewStrategy, Problem, Strategy, StrategyPage, StrategyPatch } from '@meridian/contracts';
import { BacktestRepository, StrategyRepository, StudyRepository, type StrategyFields, type StrategyRow } from '@meridian/db';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { paged, pageQuery } from '../../pages.js';
import { parseConfig, parseGates, parseSpec } from '../../requests.js';

export function strategyToWire(row: StrategyRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    spec: row.spec,
    config: row.config,
    tags: row.tags,
    gates: row.gates,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A tenant's strategy lists are cached until one of its strategies changes. */
const tenantTag = (tenant: string) => `strategies:${tenant}`;
const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const notFound = (id: string) => new HttpProblem(404, 'not-found', `No strategy ${id}.`);

/** Each field as stored: the spec with its defaults, the settings and gates checked. */
function validated(body: Partial<NewStrategy>): Partial<StrategyFields> {
  return {
    ...(body.name === undefined ? {} : { name: body.name }),
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.spec === undefined ? {} : { spec: parseSpec(body.spec) as unknown as Record<string, unknown> }),
    // Stored as sent (partial settings are defaults to override), but checked whole.
    ...(body.config === undefined ? {} : { config: (parseConfig(body.config), body.config as Record<string, unknown>) }),
    ...(body.tags === undefined ? {} : { tags: body.tags }),
    ...(body.gates === undefined ? {} : { gates: parseGates(body.gates) as Record<string, unknown> | null }),
  };
}

export const strategyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const strategies = new StrategyRepository(app.db.write, app.db.read);
  const backtests = new BacktestRepository(app.db.write, app.db.read);
  const studies = new StudyRepository(app.db.write, app.db.read);
  const cache = app.cache.namespace('strategies');
  const changed = (tenant: string) => app.cache.deleteByTag([tenantTag(tenant)]);

  app.post('/v1/strategies', {
    schema: {
      tags: ['strategies'],
      summary: "Save a strategy: a rule spec under a name unique to the caller's tenant, with default settings, tags and gates",
      body: NewStrategy,
      response: { 201: Strategy, 400: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const fields = { description: '', config: {}, tags: [], gates: null, ...validated(request.body) } as StrategyFields;
    const row = await strategies.create(request.caller.tenant, fields);
    if (!row) throw new HttpProblem(409, 'conflict', `A strategy named "${request.body.name}" already exists.`);
    await changed(request.caller.tenant);
    return reply.code(201).send(strategyToWire(row));
  });

  app.get('/v1/strategies', {
    schema: {
      tags: ['strategies'],
      summary: "The caller's strategies, newest first by default; filter by name or tag",
      querystring: Type.Object({
        name: Type.Optional(Type.String({ maxLength: 200, description: 'part of the name, any case' })),
        tag: Type.Optional(Type.String({ maxLength: 64 })),
        sort: Type.Optional(Type.Union([Type.Literal('created'), Type.Literal('updated')], { default: 'created' })),
        ...pageQuery,
      }),
      response: { 200: StrategyPage, 400: Problem },
    },
  }, async (request) => {
    const { tenant } = request.caller;
    const query = request.query as Required<typeof request.query>;
    const key = `${tenant}:${JSON.stringify([query.name, query.tag, query.sort, query.order, query.limit, query.cursor])}`;
    return cache.getOrSet(key, async () => {
      const page = await paged(() => strategies.list(tenant, query));
      return { items: page.items.map(strategyToWire), nextCursor: page.nextCursor };
    }, { tags: [tenantTag(tenant)] });
  });

  app.get('/v1/strategies/:id', {
    schema: { tags: ['strategies'], summary: 'One strategy', params: Id, response: { 200: Strategy, 404: Problem } },
  }, async (request) => {
    const row = await strategies.get(request.caller.tenant, request.params.id);
    if (!row) throw notFound(request.params.id);
    return strategyToWire(row);
  });

  app.patch('/v1/strategies/:id', {
    schema: { tags: ['strategies'], summary: 'Change some fields of a strategy', params: Id, body: StrategyPatch, response: { 200: Strategy, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => {
    const row = await strategies.update(request.caller.tenant, request.params.id, validated(request.body));
    if (row === 'conflict') throw new HttpProblem(409, 'conflict', `A strategy named "${request.body.name}" already exists.`);
    if (!row) throw notFound(request.params.id);
    await changed(request.caller.tenant);
    return strategyToWire(row);
  });

  app.delete('/v1/strategies/:id', {
    schema: {
      tags: ['strategies'],
      summary: 'Delete a strategy; with cascade=true its backtests, sweeps and validations too',
      params: Id,
      querystring: Type.Object({ cascade: Type.Optional(Type.Boolean({ default: false })) }),
      response: { 204: Type.Null(), 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const outcome = await strategies.delete(request.caller.tenant, request.params.id, request.query.cascade === true);
    if (outcome === 'not-found') throw notFound(request.params.id);
    if (outcome === 'has-results') throw new HttpProblem(409, 'conflict', 'The strategy has backtests, sweeps or validations. Delete them with it by sending ?cascade=true.');
    await changed(request.caller.tenant);
    return reply.code(204).send(null);
  });

  app.get('/v1/strategies/:id/gates', {
    schema: {
      tags: ['strategies'],
      summary: "The strategy's gates and the verdicts of its latest finished backtest and validation",
      params: Id,
      response: { 200: Type.Object({ strategyId: Type.String(), gates: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]), backtest: Type.Unknown(), validation: Type.Unknown() }), 404: Problem },
    },
  }, async (request) => {
    const { tenant } = request.caller;
    const row = await strategies.get(tenant, request.params.id);
    if (!row) throw notFound(request.params.id);
    const [backtest, validation] = await Promise.all([backtests.latestFinished(tenant, row.id), studies.latestFinished(tenant, row.id, 'validation')]);
    return {
      strategyId: row.id,
      gates: row.gates,
      backtest: backtest ? { id: backtest.id, finishedAt: backtest.finishedAt?.toISOString() ?? null, verdict: backtest.gates, link: `/v1/backtests/${backtest.id}` } : null,
      validation: validation ? { id: validation.id, finishedAt: validation.finishedAt?.toISOString() ?? null, verdict: validation.gates, link: `/v1/validations/${validation.id}` } : null,
    };
  });
};
