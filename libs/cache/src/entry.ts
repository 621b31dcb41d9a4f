import { type CodecName, compress, decodeValue, decompress, encodeValue } from './codec.js';

/** A cached value with its clock: fresh until `freshUntil`, served only as a fallback until `staleUntil`. */
export interface Entry<T = unknown> {
  value: T;
  /** When the factory that made it started: invalidations after this instant make it invalid. */
  createdAt: number;
  freshUntil: number;
  staleUntil: number;
  tags: readonly string[];
  /** Encoded bytes before compression, near what the value takes in memory: the L1 byte bound counts this. */
  size: number;
}

const VERSION = 1;
const COMPRESSED = 1;
const JSON_CODEC = 2;
const HEADER = 2 + 8 * 3 + 2;

/**
 * L2 layout: version, flags, three float64 times, tag list length, tags joined by newlines,
 * then the payload (compressed when over the namespace's threshold).
 */
export async function encodeEntry(entry: Omit<Entry, 'size'>, codec: CodecName, compressAbove: number): Promise<{ bytes: Buffer; size: number }> {
  let payload = encodeValue(codec, entry.value);
  const size = payload.length;
  let flags = codec === 'json' ? JSON_CODEC : 0;
  if (payload.length > compressAbove) {
    payload = await compress(payload);
    flags |= COMPRESSED;
  }
  const tags = Buffer.from(entry.tags.join('\n'), 'utf8');
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt8(VERSION, 0);
  head.writeUInt8(flags, 1);
  head.writeDoubleLE(entry.createdAt, 2);
  head.writeDoubleLE(entry.freshUntil, 10);
  head.writeDoubleLE(entry.staleUntil, 18);
  head.writeUInt16LE(tags.length, 26);
  return { bytes: Buffer.concat([head, tags, payload]), size };
}

/** Undefined for bytes this version cannot read (another release's layout): treated as a miss. */
export async function decodeEntry(bytes: Buffer): Promise<Entry | undefined> {
  if (bytes.length < HEADER || bytes.readUInt8(0) !== VERSION) return undefined;
  const flags = bytes.readUInt8(1);
  const tagBytes = bytes.readUInt16LE(26);
  const tags = tagBytes === 0 ? [] : bytes.toString('utf8', HEADER, HEADER + tagBytes).split('\n');
  let payload = bytes.subarray(HEADER + tagBytes);
  if (flags & COMPRESSED) payload = await decompress(payload);
  const size = payload.length;
  return {
    value: decodeValue(flags & JSON_CODEC ? 'json' : 'v8', payload),
    createdAt: bytes.readDoubleLE(2),
    freshUntil: bytes.readDoubleLE(10),
    staleUntil: bytes.readDoubleLE(18),
    tags,
    size,
  };
}
