import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { NonceGuard } from '../nonces.js';
import { problem, sendProblem } from '../problem.js';
import { type BodyDigest, type Caller, VALIDITY_MS, verifyInternal } from '../signature.js';
import type {} from './config.js';
import type {} from './redis.js';

export { INTERNAL_HEADER, signInternal, verifyInternal, type Caller } from '../signature.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** Answered without the gateway's signature: health and metrics (which has a guard of its own). */
    public?: boolean;
  }
}

const SIGNED_BODY = Symbol('meridian.signedBody');
type Signed = FastifyRequest & { [SIGNED_BODY]?: BodyDigest };

const refuse = (request: FastifyRequest, reply: FastifyReply, detail: string): void =>
  void sendProblem(reply, problem(401, 'unauthenticated', detail, request));

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/** Passes a body through while hashing it, and fails it at its end unless it is the body that was signed. */
class SignedBodyCheck extends Transform {
  private readonly hash = createHash('sha256');
  // Fastify's body limit reads this from the stream a preParsing hook returns.
  receivedEncodedLength = 0;

  constructor(private readonly expected: BodyDigest) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (`sha256-${this.hash.digest('base64url')}` === this.expected) return callback();
    callback(Object.assign(new Error('The body is not the one the gateway signed.'), { statusCode: 401, code: 'UNAUTHENTICATED' }));
  }
}

/**
 * Every request needs the gateway's signature but those of routes marked `config.public`:
 * decided on the route the router matched, whatever spelling of the path reached it (an encoded
 * `%76`, an absolute-form target), and refused by default, unknown paths included. A signature is
 * honoured once (its nonce), within its validity, and for the body it names: none, exactly the
 * signed bytes (checked as the body is read), or a streamed upload.
 */
export const internalAuth = fp(async (app) => {
  const secret = app.config.internalSecret;
  const nonces = new NonceGuard(app.redis, `${app.config.redisPrefix}nonce:`, 2 * VALIDITY_MS);
  app.addHook('onRequest', (request: FastifyRequest, reply, done) => {
    if (request.routeOptions.config.public === true && !request.is404) return done();
    const header = request.headers['x-meridian-internal'];
    const signed = verifyInternal(secret, request.method, request.url, typeof header === 'string' ? header : undefined);
    // Answered here, so the request goes no further (done is not called).
    if (!signed) return refuse(request, reply, 'Call this API through the gateway with an API key.');
    if (signed.body === '-' && hasBody(request)) return refuse(request, reply, 'The signature covers no body, but the request has one.');
    request.caller = signed.caller;
    if (signed.body.startsWith('sha256-')) (request as Signed)[SIGNED_BODY] = signed.body;
    nonces.firstUse(signed.nonce).then((first) => (first ? done() : refuse(request, reply, 'This signature was already used: a request is signed once.')), done);
  });
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const expected = (request as Signed)[SIGNED_BODY];
    done(null, expected ? payload.pipe(new SignedBodyCheck(expected)) : payload);
  });
}, { name: 'meridian-internal-auth', dependencies: ['meridian-config', 'meridian-redis'] });
