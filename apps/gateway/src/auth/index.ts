import { timingSafeEqual } from 'node:crypto';
import { ApiKeyRepository } from '@meridian/db';
import { HttpProblem, LINK_COOKIE, LINK_PARAM, linkGrants, parseLinkToken } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hashKey, parseKey } from './api-key.js';
import { type KeyEntry, KeyStore } from './key-store.js';
import { requiredScope } from './scopes.js';

// What anyone may read without a key: the gateway's bare health, its API document and page, and
// /metrics, which has a guard of its own. Everything else, unknown paths included, needs a key.
// request.url is the normalised target (request-target/).
const PUBLIC = /^\/(health|metrics|openapi\.json|docs)(\/|\?|$)/;
const isPublic = (url: string): boolean => PUBLIC.test(url);

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match ? match[1] : undefined;
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header : undefined;
}

/** A signed link's token: the `link` query parameter, or the cookie a followed link left. */
function linkToken(request: FastifyRequest): { token: string; fromQuery: boolean } | undefined {
  const queryAt = request.url.indexOf('?');
  const param = queryAt === -1 ? null : new URLSearchParams(request.url.slice(queryAt + 1)).get(LINK_PARAM);
  if (param) return { token: param, fromQuery: true };
  const cookie = request.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${LINK_COOKIE}=`));
  return cookie ? { token: cookie.slice(LINK_COOKIE.length + 1), fromQuery: false } : undefined;
}

function unauthenticated(reply: FastifyReply, detail: string): HttpProblem {
  reply.header('www-authenticate', 'Bearer');
  return new HttpProblem(401, 'unauthenticated', detail);
}

/** Resolves the API key on every /v1 request to a tenant and checks its scope. */
export const apiKeyAuth: FastifyPluginAsyncTypebox = fp(async (app) => {
  const keys = new KeyStore(new ApiKeyRepository(app.db.write), app.log, app.cache, app.config.gateway.apiKeyCacheTtlMs);
  app.addHook('onClose', () => keys.close());

  // The key and its prefix, or the 401 to answer.
  function presented(request: FastifyRequest, reply: FastifyReply): { key: string; prefix: string } | HttpProblem {
    if (/[?&](api_key|apikey|key|token)=/i.test(request.url)) {
      return unauthenticated(reply, 'API keys are never accepted in the query string. Send it as Authorization: Bearer <key>, and revoke the key you just exposed.');
    }
    const key = presentedKey(request);
    if (key === undefined) return unauthenticated(reply, 'Send an API key as Authorization: Bearer <key> or X-API-Key: <key>. Create one with `npm run keys -- create`.');
    const prefix = parseKey(key);
    return prefix === undefined ? unauthenticated(reply, 'The API key is malformed (expected mk_<prefix>_<secret>; check for a copy/paste error).') : { key, prefix };
  }

  // Undefined when the key may make this request (the caller is then set), else the 401 or 403.
  function authorize(request: FastifyRequest, reply: FastifyReply, key: string, entry: KeyEntry | null | undefined): HttpProblem | undefined {
    if (!entry || !timingSafeEqual(entry.hash, hashKey(key))) return unauthenticated(reply, 'The API key is not known.');
    if (entry.revoked) return unauthenticated(reply, 'The API key has been revoked. Ask for a new one.');
    const scope = requiredScope(request.method, request.url);
    if (!entry.scopes.includes(scope)) {
      return new HttpProblem(403, 'forbidden', `This key lacks the "${scope}" scope needed for ${request.method} ${request.url.split('?')[0]}.`, { requiredScope: scope });
    }
    request.caller = { tenant: entry.tenant, keyId: entry.prefix };
    keys.markUsed(entry.prefix);
    return undefined;
  }

  // A signed link (POST /v1/links) instead of a key: GET only, its key alive, its path matching.
  async function followLink(request: FastifyRequest, reply: FastifyReply, link: { token: string; fromQuery: boolean }): Promise<HttpProblem | undefined> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return unauthenticated(reply, 'A signed link grants GET only. Send an API key for anything else.');
    const token = parseLinkToken(link.token);
    if (!token) return unauthenticated(reply, 'The link is malformed: copy it whole, or ask for a new one with POST /v1/links.');
    const entry = await keys.lookup(token.keyId);
    if (!entry || entry.revoked) return unauthenticated(reply, 'The key this link was made with is revoked or unknown. Ask for a new link.');
    const verdict = linkGrants(app.config.internalSecret, token, entry.tenant, request.url.split('?')[0] as string);
    if (verdict.status === 'expired') return unauthenticated(reply, 'The link has expired. Ask for a new one with POST /v1/links.');
    if (verdict.status !== 'ok' || !entry.scopes.includes('read')) return unauthenticated(reply, 'The link is not valid for this page.');
    request.caller = { tenant: entry.tenant, keyId: entry.prefix };
    if (link.fromQuery) {
      const secure = app.config.nodeEnv === 'production' ? '; Secure' : '';
      reply.header('set-cookie', `${LINK_COOKIE}=${link.token}; Path=${verdict.path}; Max-Age=${Math.max(0, token.expires - Math.floor(Date.now() / 1000))}; HttpOnly; SameSite=Strict${secure}`);
    }
    return undefined;
  }

  // A callback hook: a key this process holds in memory (nearly every request) is checked
  // without creating a promise; only a look-up through Redis or the database waits.
  app.addHook('onRequest', (request, reply, done) => {
    if (isPublic(request.url)) return done();
    const link = linkToken(request);
    if (link !== undefined && presentedKey(request) === undefined) {
      followLink(request, reply, link).then(done, done);
      return;
    }
    const key = presented(request, reply);
    if (key instanceof HttpProblem) return done(key);
    const cached = keys.cached(key.prefix);
    if (cached !== undefined) return done(authorize(request, reply, key.key, cached));
    keys.lookup(key.prefix).then((entry) => done(authorize(request, reply, key.key, entry)), done);
  });
}, { name: 'api-key-auth' });
