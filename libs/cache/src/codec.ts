import { deserialize, serialize } from 'node:v8';
import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';

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
export const compress = (bytes: Buffer): Promise<Buffer> => gzipAsync(bytes, { level: 1, strategy: constants.Z_DEFAULT_STRATEGY });
export const decompress = (bytes: Buffer): Promise<Buffer> => gunzipAsync(bytes);
