import { timingSafeEqual } from 'node:crypto';
import { ApiKeyRepository } from '@meridian/db';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hashKey, parseKey } from './api-key.js';
import { KeyStore } from './key-store.js';
import { requiredScope } from './scopes.js';

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match ? match[1] : undefined;
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header : undefined;
}

function unauthenticated(reply: FastifyReply, detail: string): HttpProblem {
  reply.header('www-authenticate', 'Bearer');
  return new HttpProblem(401, 'unauthenticated', detail);
}

/** Resolves the API key on every /v1 request to a tenant and checks its scope. */
export const apiKeyAuth: FastifyPluginAsyncTypebox = fp(async (app) => {
  const keys = new KeyStore(new ApiKeyRepository(app.db.write), app.log, app.cache, app.config.gateway.apiKeyCacheTtlMs);
  app.addHook('onClose', () => keys.close());

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    if (/[?&](api_key|apikey|key|token)=/i.test(request.url)) {
      throw unauthenticated(reply, 'API keys are never accepted in the query string. Send it as Authorization: Bearer <key>, and revoke the key you just exposed.');
    }
    const key = presentedKey(request);
    if (key === undefined) throw unauthenticated(reply, 'Send an API key as Authorization: Bearer <key> or X-API-Key: <key>. Create one with `npm run keys -- create`.');
    const prefix = parseKey(key);
    if (prefix === undefined) throw unauthenticated(reply, 'The API key is malformed (expected mk_<prefix>_<secret>; check for a copy/paste error).');
    const entry = await keys.lookup(prefix);
    if (!entry || !timingSafeEqual(entry.hash, hashKey(key))) throw unauthenticated(reply, 'The API key is not known.');
    if (entry.revoked) throw unauthenticated(reply, 'The API key has been revoked. Ask for a new one.');
    const scope = requiredScope(request.method, request.url);
    if (!entry.scopes.includes(scope)) {
      throw new HttpProblem(403, 'forbidden', `This key lacks the "${scope}" scope needed for ${request.method} ${request.url.split('?')[0]}.`, { requiredScope: scope });
    }
    request.caller = { tenant: entry.tenant, keyId: entry.prefix };
    keys.markUsed(prefix);
  });
}, { name: 'api-key-auth' });
