import { Problem, Strategy } from '@meridian/contracts';
import { StrategyRepository, type StrategyRow } from '@meridian/db';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

function toWire(row: StrategyRow) {
  return { id: row.id, name: row.name, spec: row.spec, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** A tenant's strategy list is cached until one of its strategies changes. */
const tenantTag = (tenant: string) => `strategies:${tenant}`;

export const strategyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const strategies = new StrategyRepository(app.db.write, app.db.read);
  const cache = app.cache.namespace('strategies');

  app.post('/v1/strategies', {
    schema: {
      tags: ['strategies'],
      summary: "Save a strategy (a rule spec) under a name unique to the caller's tenant",
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }),
        spec: Type.Record(Type.String(), Type.Unknown()),
      }, { additionalProperties: false }),
      response: { 201: Strategy, 409: Problem },
    },
  }, async (request, reply) => {
    const row = await strategies.create(request.caller.tenant, request.body.name, request.body.spec);
    if (!row) throw new HttpProblem(409, 'conflict', `A strategy named "${request.body.name}" already exists.`);
    await app.cache.deleteByTag([tenantTag(request.caller.tenant)]);
    return reply.code(201).send(toWire(row));
  });

  app.get('/v1/strategies', {
    schema: {
      tags: ['strategies'],
      summary: "The caller's strategies by name",
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      response: { 200: Type.Object({ items: Type.Array(Strategy) }) },
    },
  }, async (request) => {
    const { tenant } = request.caller;
    // Validation fills in the default when the client leaves `limit` out.
    const limit = request.query.limit as number;
    const items = await cache.getOrSet(`${tenant}:${limit}`, async () => (await strategies.list(tenant, limit)).map(toWire), { tags: [tenantTag(tenant)] });
    return { items };
  });
};
