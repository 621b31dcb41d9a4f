import { deserialize, serialize } from 'node:v8';
import { promisify } from 'node:util';
import { constants, gunzip, gunzipSync, gzip, gzipSync, type ZlibOptions } from 'node:zlib';

/**
 * `v8` keeps typed arrays, dates, maps and nested objects exactly and is the faster of the two;
 * `json` suits plain data another language may read from Redis.
 */
export type CodecName = 'v8' | 'json';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export function encodeValue(codec: CodecName, value: unknown): Buffer {
  return codec === 'v8' ? serialize(value) : Buffer.from(JSON.stringify(value) ?? 'null');
}

export function decodeValue(codec: CodecName, bytes: Buffer): unknown {
  return codec === 'v8' ? deserialize(bytes) : JSON.parse(bytes.toString('utf8'));
}

// Level 1: series payloads compress 3-5x at level 1 and the larger levels cost CPU on every write.
const GZIP: ZlibOptions = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY };

/**
 * Below this size zlib runs on the calling thread: handing a small payload to the thread pool
 * costs more CPU than compressing it, and most of a cached signals answer's price, while 64 KiB
 * holds the event loop only briefly. Larger ones, whole bar histories, go to the pool.
 */
const IN_PLACE_BELOW_BYTES = 64 * 1024;

export const compress = (bytes: Buffer): Promise<Buffer> =>
  bytes.length < IN_PLACE_BELOW_BYTES ? Promise.resolve(gzipSync(bytes, GZIP)) : gzipAsync(bytes, GZIP);

/** By the size of what it inflates to, about four times the gzip for the payloads cached here. */
export const decompress = (bytes: Buffer): Promise<Buffer> =>
  bytes.length * 4 < IN_PLACE_BELOW_BYTES ? Promise.resolve(gunzipSync(bytes)) : gunzipAsync(bytes);
