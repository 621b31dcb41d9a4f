import type { Readable } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import { BROTLI_QUALITY, COMPRESS_FROM_BYTES, type Encoding, preferredEncoding } from '@meridian/service';

// What is worth compressing; event streams are left alone, since a compressor holds events back.
const COMPRESSIBLE = /^(application\/(json|problem\+json|x-ndjson|ndjson|jsonl|xml)|text\/(csv|plain|html))\b/i;

/**
 * The encoding to apply to an upstream answer, or undefined: only when the service did not
 * compress it itself (Meridian services do, other upstreams may not), the client accepts it,
 * and the body is a compressible type and not tiny.
 */
export function encodingFor(acceptEncoding: string | undefined, headers: Record<string, string | string[] | undefined>): Encoding | undefined {
  if (!acceptEncoding || headers['content-encoding'] !== undefined) return undefined;
  if (!COMPRESSIBLE.test(String(headers['content-type'] ?? ''))) return undefined;
  if (Number(headers['content-length'] ?? Infinity) < COMPRESS_FROM_BYTES) return undefined;
  return preferredEncoding(acceptEncoding);
}

export function compressStream(body: Readable, encoding: Encoding): Readable {
  // Level 1 for gzip: what an API answer gains beyond it is not worth the CPU per request.
  const compressor = encoding === 'br' ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }) : createGzip({ level: 1 });
  body.on('error', (error) => compressor.destroy(error));
  return body.pipe(compressor);
}
