import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UPSTREAM_PREFIXES, type UpstreamName } from '@meridian/contracts';
import { HttpProblem, INTERNAL_HEADER, signInternal } from '@meridian/service';
import { injectTraceContext } from '@meridian/telemetry';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher, Pool } from 'undici';
import { Breaker } from './breaker.js';
import { compressStream, encodingFor } from './compression.js';
import { requestHeaders, responseHeaders } from './headers.js';
import { createUpstreamPool, isLongLived } from './upstream.js';

// Errors that mean the request never reached the service: safe to retry an idempotent request.
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const SMALL_BODY_BYTES = 64 * 1024;
// Routes that take large streamed uploads; every other route keeps the small body limit.
const STREAMED_UPLOADS = [/^\/v1\/bars(\?|$)/];

const CLIENT_ABORTED = () => new HttpProblem(400, 'client-aborted', 'The client closed the connection before the request was complete.');

/** Whether the client's side of the request ended before it was whole (an aborted upload). */
const clientGone = (request: FastifyRequest): boolean => request.raw.readableAborted || (request.raw.destroyed && !request.raw.complete);

function hasBody(raw: IncomingMessage): boolean {
  return raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0;
}

interface Upstream {
  name: UpstreamName;
  pool: Pool;
  streams: Pool;
  breaker: Breaker;
}

/** Forwards each owned prefix to its service, streaming bodies both ways without parsing them. */
export const proxyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { internalSecret, upstreams, bodyLimitBytes, gateway } = app.config;
  const targets = new Map<UpstreamName, Upstream>();
  for (const name of Object.keys(UPSTREAM_PREFIXES) as UpstreamName[]) {
    const url = upstreams[name];
    const breaker = new Breaker(3, 1_000, (state) => {
      if (state === 'open') app.log.warn({ service: name }, `${name} is unavailable: answering 503 until it answers again`);
      else app.log.info({ service: name }, `${name} answers again`);
    });
    targets.set(name, { name, pool: createUpstreamPool(url, gateway.upstreamTimeoutMs), streams: createUpstreamPool(url, gateway.upstreamTimeoutMs, true), breaker });
  }
  // Open streams do not end by themselves: at shutdown they are cut, client side first (one
  // quiet line each rather than an upstream error per client), and their clients reconnect elsewhere.
  const openStreams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    const closed = [...openStreams].map((response) => once(response, 'close'));
    for (const response of openStreams) response.destroy();
    await Promise.all(closed);
    // Each stream lets go of its upstream body on the tick after its response closes.
    await new Promise((resolve) => setImmediate(resolve));
  });
  app.addHook('onClose', async () => {
    await Promise.all([...targets.values()].flatMap((target) => [target.pool.close(), target.streams.destroy()]));
  });

  // Bodies pass through as streams: no parsing, no buffering.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  function unavailable(target: Upstream, reply: FastifyReply, why: string): HttpProblem {
    reply.header('retry-after', '1');
    const problem = new HttpProblem(503, 'upstream-unavailable', `The ${target.name} service is unavailable (${why}). Retry shortly.`, { service: target.name });
    problem.quiet = true;
    return problem;
  }

  const tooLarge = (length: number | string, limit: number) => new HttpProblem(413, 'body-too-large', `The body is ${length} bytes; this route accepts at most ${limit}.`);

  /** Whether the route takes large uploads, which pass through as a stream; the limit either way. */
  function bodyPolicy(request: FastifyRequest): { streamed: boolean; limit: number } {
    const streamed = STREAMED_UPLOADS.some((route) => route.test(request.url));
    const limit = streamed ? gateway.ingestBodyLimitBytes : bodyLimitBytes;
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > limit) throw tooLarge(length, limit);
    return { streamed, limit };
  }

  /** The whole body of a request on a route that takes no streamed upload, at most `limit` bytes; `callback` is called once. */
  function readBody(request: FastifyRequest, limit: number, callback: (error: Error | null, body: Buffer) => void): void {
    const raw = request.raw;
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    // The error listener stays: a socket error after the body was read must not go unhandled.
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      raw.off('data', onData).off('end', onEnd);
      callback(error, error ? Buffer.alloc(0) : Buffer.concat(chunks, length));
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length <= limit) return void chunks.push(chunk);
      // Drained, not kept: the client gets its 413 without the connection being cut.
      raw.resume();
      finish(tooLarge(`more than ${limit}`, limit));
    };
    const onEnd = () => finish(null);
    raw.on('data', onData).on('end', onEnd).on('error', finish);
  }

  // Callbacks rather than promises from here to the reply: each promise on this path is an
  // allocation and, with tracing on Node 20, an async-hook call, for every proxied request.
  function send(pool: Pool, request: FastifyRequest, headers: Record<string, string | string[]>, body: Buffer | IncomingMessage | null, callback: (error: Error | null, upstream: Dispatcher.ResponseData) => void): void {
    const options = { method: request.method as Dispatcher.HttpMethod, path: request.url, headers, body };
    pool.request(options, (error, upstream) => {
      const code = (error as { code?: string } | null)?.code ?? '';
      // A keep-alive socket the service closed as we reused it: one retry, when it cannot duplicate work.
      if (body === null && IDEMPOTENT.has(request.method) && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) {
        pool.request(options, callback);
        return;
      }
      callback(error, upstream);
    });
  }

  function failure(target: Upstream, request: FastifyRequest, reply: FastifyReply, error: Error): HttpProblem {
    const code = (error as { code?: string }).code ?? '';
    // A client that hung up mid-request fails the upload with a reset of its own socket: that
    // says nothing of the service's health, so the breaker does not hear of it.
    if (clientGone(request)) return CLIENT_ABORTED();
    if (CONNECTION_ERRORS.has(code)) {
      target.breaker.failed();
      return unavailable(target, reply, code);
    }
    target.breaker.succeeded();
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      return new HttpProblem(504, 'upstream-timeout', `The ${target.name} service did not answer within ${gateway.upstreamTimeoutMs} ms.`, { service: target.name });
    }
    return new HttpProblem(502, 'bad-gateway', `The ${target.name} service failed to answer (${code || error.message}).`, { service: target.name });
  }

  function respond(target: Upstream, request: FastifyRequest, reply: FastifyReply, upstream: Dispatcher.ResponseData): void {
    target.breaker.succeeded();
    const out = responseHeaders(upstream.headers);
    const encoding = encodingFor(request.headers['accept-encoding'], upstream.headers);
    if (encoding) {
      delete out['content-length'];
      out['content-encoding'] = encoding;
      out.vary = out.vary ? `${String(out.vary)}, accept-encoding` : 'accept-encoding';
      reply.code(upstream.statusCode).headers(out).send(compressStream(upstream.body, encoding));
      return;
    }
    reply.code(upstream.statusCode).headers(out);
    // A small body of known length goes out with the headers in one write; anything else streams.
    const length = Number(upstream.headers['content-length'] ?? Infinity);
    if (length > SMALL_BODY_BYTES) {
      reply.send(upstream.body);
      return;
    }
    const chunks: Buffer[] = [];
    upstream.body.on('data', (chunk: Buffer) => chunks.push(chunk));
    upstream.body.once('error', (error) => reply.send(error));
    upstream.body.once('end', () => reply.send(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  }

  /**
   * Signs and sends the request. The signature covers the body: a small one is read whole and its
   * digest signed, so that a captured header cannot carry another body; a large upload streams
   * through, signed as a stream and bound to the request by the signature's one-time nonce.
   */
  function forward(target: Upstream, request: FastifyRequest, reply: FastifyReply): void {
    const { streamed, limit } = bodyPolicy(request);
    const longLived = isLongLived(request.url);
    if (longLived) {
      openStreams.add(reply.raw);
      reply.raw.once('close', () => openStreams.delete(reply.raw));
    }
    if (!target.breaker.allow()) throw unavailable(target, reply, 'circuit open after repeated connection failures');
    const go = (body: Buffer | IncomingMessage | null) => {
      const headers = requestHeaders(request.headers, {
        'x-request-id': request.id,
        'x-forwarded-for': request.ip,
        [INTERNAL_HEADER]: signInternal(internalSecret, request.method, request.url, request.caller, { body: body === null ? undefined : body instanceof Buffer ? body : 'stream' }),
      });
      if (body instanceof Buffer) {
        headers['content-length'] = String(body.length);
        delete headers['transfer-encoding'];
      }
      // The service's span becomes a child of the gateway's, or follows its decision not to sample;
      // without tracing the client's own traceparent passes through untouched.
      injectTraceContext(request, headers);
      send(longLived ? target.streams : target.pool, request, headers, body, (error, upstream) => {
        if (error) reply.send(failure(target, request, reply, error));
        else respond(target, request, reply, upstream);
      });
    };
    if (!hasBody(request.raw)) go(null);
    else if (streamed) go(request.raw);
    else readBody(request, limit, (error, body) => (error ? reply.send(clientGone(request) ? CLIENT_ABORTED() : error) : go(body)));
  }

  for (const [name, prefixes] of Object.entries(UPSTREAM_PREFIXES) as [UpstreamName, readonly string[]][]) {
    const target = targets.get(name) as Upstream;
    const handler = (request: FastifyRequest, reply: FastifyReply) => forward(target, request, reply);
    for (const prefix of prefixes) {
      // Meridian services compress for themselves; the proxy compresses only what arrives plain.
      // A compressed request body passes through as sent: the service decompresses it, once,
      // within its body limit, and checks it against the signature over the bytes sent.
      app.all(prefix, { compress: false, decompress: false, schema: { hide: true } }, handler);
      app.all(`${prefix}/*`, { compress: false, decompress: false, schema: { hide: true } }, handler);
    }
  }
};
