import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A response body serialised once, with its validator: cache hits cost no JSON work. */
export interface CachedBody {
  body: string;
  etag: string;
}

export function cachedBody(value: unknown): CachedBody {
  const body = JSON.stringify(value);
  // Weak: the bytes on the wire differ by content encoding, the representation does not.
  return { body, etag: `W/"${createHash('sha1').update(body).digest('base64url')}"` };
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.slice(2);
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

/** Sends the body, or 304 when the client's copy is current. */
export function sendCached(request: FastifyRequest, reply: FastifyReply, cached: CachedBody): FastifyReply {
  reply.header('etag', cached.etag);
  reply.header('cache-control', 'private, no-cache');
  if (matches(request.headers['if-none-match'], cached.etag)) return reply.code(304).send();
  return sendJson(reply, cached.body);
}

/** A body serialised earlier, sent as is. */
export function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(body);
}
