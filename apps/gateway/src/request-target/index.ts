import type { IncomingMessage } from 'node:http';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { normaliseTarget } from './normalise.js';

export { normaliseTarget } from './normalise.js';

const REFUSED = Symbol('meridian.refusedTarget');
type Marked = IncomingMessage & { [REFUSED]?: string };

/**
 * Fastify's `rewriteUrl`: runs before routing, so that the router, and every hook after it, sees
 * only the normalised target (normalise.ts), and so does the service it is forwarded to. A target
 * that cannot be normalised is routed nowhere and answered 400 by `refuseBadTargets`.
 */
export function rewriteTarget(request: IncomingMessage): string {
  const target = normaliseTarget(request.url ?? '/');
  if ('url' in target) return target.url;
  (request as Marked)[REFUSED] = target.refused;
  return '/';
}

/** 400 problem+json for a target rewriteTarget refused, before any other check. */
export const refuseBadTargets: FastifyPluginAsyncTypebox = fp(async (app) => {
  app.addHook('onRequest', (request, _reply, done) => {
    const refused = (request.raw as Marked)[REFUSED];
    done(refused === undefined ? undefined : new HttpProblem(400, 'bad-request-target', `The request target is refused: ${refused}.`));
  });
}, { name: 'refuse-bad-targets' });
