import { Instrument, NewInstrument, Problem, Symbol } from '@meridian/contracts';
import { InstrumentRepository, type InstrumentRow } from '@meridian/db';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

function toWire(row: InstrumentRow) {
  return {
    symbol: row.symbol,
    name: row.name,
    assetClass: row.assetClass,
    exchange: row.exchange,
    currency: row.currency,
    createdAt: row.createdAt.toISOString(),
  };
}

export const instrumentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const instruments = new InstrumentRepository(app.db.write, app.db.read);

  app.post('/v1/instruments', {
    schema: {
      tags: ['instruments'],
      summary: 'Create an instrument, or update the one with this symbol',
      body: NewInstrument,
      response: { 200: Instrument, 201: Instrument, 400: Problem },
    },
  }, async (request, reply) => {
    const { instrument, created } = await instruments.upsert(request.body);
    return reply.code(created ? 201 : 200).send(toWire(instrument));
  });

  app.get('/v1/instruments', {
    schema: {
      tags: ['instruments'],
      summary: 'List instruments by symbol, a page at a time',
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        after: Type.Optional(Symbol),
      }),
      response: { 200: Type.Object({ items: Type.Array(Instrument), next: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async (request) => {
    // Validation fills in the default when the client leaves `limit` out.
    const limit = request.query.limit as number;
    const rows = await instruments.list({ limit, after: request.query.after });
    const last = rows.at(-1);
    return { items: rows.map(toWire), next: rows.length === limit && last ? last.symbol : null };
  });

  app.get('/v1/instruments/:symbol', {
    schema: {
      tags: ['instruments'],
      summary: 'One instrument',
      params: Type.Object({ symbol: Symbol }),
      response: { 200: Instrument, 404: Problem },
    },
  }, async (request) => {
    const row = await instruments.bySymbol(request.params.symbol);
    if (!row) throw new HttpProblem(404, 'not-found', `No instrument ${request.params.symbol}. Create it with POST /v1/instruments.`);
    return toWire(row);
  });
};
