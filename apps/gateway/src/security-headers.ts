import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';

// The API serves JSON, never pages, so it can forbid everything a browser might do with it.
const API_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};
const DOCS_HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };

/** Helmet's headers for an API, set once per response without helmet's per-request work. */
export const securityHeaders: FastifyPluginAsyncTypebox = fp(async (app) => {
  const hsts = app.config.nodeEnv === 'production' ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {};
  const api = { ...API_HEADERS, ...hsts };
  const docs = { ...DOCS_HEADERS, ...hsts };
  // A callback hook: an async one costs a promise per request for no waiting.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith('/docs') ? docs : api);
    done();
  });
}, { name: 'security-headers' });
