import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { BROTLI_QUALITY, COMPRESS_FROM_BYTES, type Encoding, preferredEncoding } from '@meridian/service';
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

/**
 * Compressed copies of recently sent bodies, by encoding and ETag, least recently used dropped
 * first beyond `maxBytes`. A hot cached answer is otherwise compressed again for every client
 * that accepts compression (browsers and most HTTP clients do), which cost more than all the
 * rest of the request.
 */
export class CompressedBodies {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes = 32 * 1024 * 1024) {}

  get(encoding: Encoding, cached: CachedBody): Buffer {
    const key = `${encoding} ${cached.etag}`;
    let body = this.entries.get(key);
    if (body) {
      this.entries.delete(key);
    } else {
      body = encoding === 'br'
        ? brotliCompressSync(cached.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } })
        : gzipSync(cached.body);
      this.bytes += body.length;
    }
    this.entries.set(key, body);
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
    return body;
  }

  get size(): number {
    return this.entries.size;
  }
}

const compressedBodies = new CompressedBodies();

/** Sends the body, or 304 when the client's copy is current; compressed copies are kept. */
export function sendCached(request: FastifyRequest, reply: FastifyReply, cached: CachedBody): FastifyReply {
  reply.header('etag', cached.etag);
  reply.header('cache-control', 'private, no-cache');
  if (matches(request.headers['if-none-match'], cached.etag)) return reply.code(304).send();
  const encoding = cached.body.length >= COMPRESS_FROM_BYTES ? preferredEncoding(request.headers['accept-encoding']) : undefined;
  if (encoding === undefined || request.headers['x-no-compression'] !== undefined) return sendJson(reply, cached.body);
  // With content-encoding set, @fastify/compress leaves the body alone.
  return reply
    .type('application/json; charset=utf-8')
    .header('content-encoding', encoding)
    .header('vary', 'accept-encoding')
    .send(compressedBodies.get(encoding, cached));
}

/** A body serialised earlier, sent as is. */
export function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(body);
}
