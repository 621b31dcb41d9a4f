import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { problem, sendProblem } from '../problem.js';
import type {} from './config.js';

/** Carries the caller's identity from the gateway to a service, signed with the shared secret. */
export const INTERNAL_HEADER = 'x-meridian-internal';
const VALIDITY_MS = 30_000;
const FORMAT = /^v1;t=(\d{13});tenant=([\w.-]{1,64});key=([\w.-]{0,64});sig=([0-9a-f]{64})$/;

export interface Caller {
  tenant: string;
  keyId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

function mac(secret: string, method: string, path: string, caller: Caller, at: number): string {
  return createHmac('sha256', secret).update(`${method}\n${path}\n${caller.tenant}\n${caller.keyId}\n${at}`).digest('hex');
}

/** The header value the gateway sends for one request. */
export function signInternal(secret: string, method: string, path: string, caller: Caller, now = Date.now()): string {
  return `v1;t=${now};tenant=${caller.tenant};key=${caller.keyId};sig=${mac(secret, method, path, caller, now)}`;
}

/** Returns the caller when the header is well formed, fresh and correctly signed for this method and path. */
export function verifyInternal(secret: string, method: string, path: string, header: string | undefined, now = Date.now()): Caller | undefined {
  const match = header === undefined ? null : FORMAT.exec(header);
  if (!match) return undefined;
  const [, at, tenant, keyId, sig] = match as unknown as [string, string, string, string, string];
  if (Math.abs(now - Number(at)) > VALIDITY_MS) return undefined;
  const expected = Buffer.from(mac(secret, method, path, { tenant, keyId }, Number(at)), 'hex');
  return timingSafeEqual(expected, Buffer.from(sig, 'hex')) ? { tenant, keyId } : undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without the gateway's signature: health and metrics (which has a guard of its own). */
    public?: boolean;
  }
}

/**
 * Every request needs the gateway's signature but those of routes marked `config.public`:
 * decided on the route the router matched, whatever spelling of the path reached it (an encoded
 * `%76`, an absolute-form target), and refused by default, unknown paths included.
 */
export const internalAuth = fp(async (app) => {
  const secret = app.config.internalSecret;
  // A callback hook: nothing here waits, and an async hook costs promises on every request.
  app.addHook('onRequest', (request: FastifyRequest, reply, done) => {
    if (request.routeOptions.config.public === true && !request.is404) return done();
    const header = request.headers[INTERNAL_HEADER];
    const caller = verifyInternal(secret, request.method, request.url, typeof header === 'string' ? header : undefined);
    // Answered here, so the request goes no further (done is not called).
    if (!caller) return void sendProblem(reply, problem(401, 'unauthenticated', 'Call this API through the gateway with an API key.', request));
    request.caller = caller;
    done();
  });
}, { name: 'meridian-internal-auth', dependencies: ['meridian-config'] });
