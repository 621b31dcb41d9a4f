import type { Readable } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';

// What is worth compressing; event streams are left alone, since a compressor holds events back.
const COMPRESSIBLE = /^(application\/(json|problem\+json|x-ndjson|ndjson|jsonl|xml)|text\/(csv|plain|html))\b/i;
const MIN_BYTES = 1024;

export type Encoding = 'br' | 'gzip';

/**
 * The encoding to apply to an upstream answer, or undefined: only when the service did not
 * compress it itself (Meridian services do, other upstreams may not), the client accepts it,
 * and the body is a compressible type and not tiny.
 */
export function encodingFor(acceptEncoding: string | undefined, headers: Record<string, string | string[] | undefined>): Encoding | undefined {
  if (!acceptEncoding || headers['content-encoding'] !== undefined) return undefined;
  if (!COMPRESSIBLE.test(String(headers['content-type'] ?? ''))) return undefined;
  if (Number(headers['content-length'] ?? Infinity) < MIN_BYTES) return undefined;
  const accepted = acceptEncoding.toLowerCase().split(',').map((part) => part.trim().split(';')[0]);
  if (accepted.includes('br')) return 'br';
  if (accepted.includes('gzip')) return 'gzip';
  return undefined;
}

export function compressStream(body: Readable, encoding: Encoding): Readable {
  // Quality 4 and level 1: what an API answer gains beyond these is not worth the CPU per request.
  const compressor = encoding === 'br' ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }) : createGzip({ level: 1 });
  body.on('error', (error) => compressor.destroy(error));
  return body.pipe(compressor);
}
