import { Problem } from '@meridian/contracts';
import { DEFAULT_LINK_TTL_S, HttpProblem, signLink } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { normaliseTarget } from '../request-target/normalise.js';

const MAX_TTL_S = 7 * 86_400;

/**
 * POST /v1/links: a URL a browser can open without the API key (see libs/service/src/links.ts).
 * It grants GET on the path and below it, for the caller's tenant, until it expires or the key
 * is revoked.
 */
export const linkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/v1/links', {
    schema: {
      tags: ['links'],
      summary: 'A signed link to a page (a backtest report, the dashboard) for a browser',
      body: Type.Object(
        {
          path: Type.String({ pattern: '^/v1/[^?#]*$', maxLength: 512, description: 'e.g. /v1/backtests/{id}/report' }),
          ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_TTL_S, default: DEFAULT_LINK_TTL_S })),
        },
        { additionalProperties: false },
      ),
      response: { 201: Type.Object({ url: Type.String(), path: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }), 400: Problem },
    },
  }, async (request, reply) => {
    const target = normaliseTarget(request.body.path);
    if ('refused' in target || target.url !== request.body.path) {
      throw new HttpProblem(400, 'validation', `The path must be in its plain form (${'refused' in target ? target.refused : `send ${target.url}`}).`);
    }
    const { url, expiresAt } = signLink(app.config.internalSecret, target.url, request.caller, { ttlS: request.body.ttlSeconds ?? DEFAULT_LINK_TTL_S });
    return reply.code(201).send({ url: `${request.protocol}://${request.host}${url}`, path: url, expiresAt: expiresAt.toISOString() });
  });
};
