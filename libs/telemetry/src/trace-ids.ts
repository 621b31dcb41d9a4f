import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

// Random bytes drawn at a time: a trace id takes 16, a span id 8.
const POOL_BYTES = 4096;

/**
 * What the SDK's TraceIdRatioBasedSampler compares with its bound (ratioBound): the XOR of the
 * trace id's four 32-bit words.
 */
export function traceKey(traceId: string): number {
  let key = 0;
  for (let at = 0; at < 32; at += 8) key = (key ^ Number.parseInt(traceId.slice(at, at + 8), 16)) >>> 0;
  return key;
}

/** The bound below which TraceIdRatioBasedSampler(ratio) samples a trace's key, as the SDK computes it. */
export const ratioBound = (ratio: number): number => (ratio >= 1 ? 0x1_0000_0000 : ratio <= 0 ? 0 : Math.floor(ratio * 0xffffffff));

/**
 * Random trace and span ids in lowercase hex. Each kind is made a pool at a time: 4 KB of random
 * bytes are hex-encoded by Buffer in one loop into 256 trace ids (with their keys) or 512 span
 * ids, and each call hands out the next. A Buffer per id (the SDK's RandomIdGenerator) or
 * Math.random words written out digit by digit cost more (BENCHMARKS.md, tracing, session 20).
 * Where ids are made seldom (the signals service makes a span id only for its sampled requests),
 * encoding each one when asked ran cold and took about 10 µs (session 21). An id of zeros,
 * invalid in W3C trace context, ends in 01 instead, as in the SDK.
 */
export class HexIdGenerator implements IdGenerator {
  /**
   * traceKey of the trace id made last, read from the bytes it was encoded from. Kept here
   * rather than returned with the id so that no object is made per request; read it at once.
   */
  lastTraceKey = 0;
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  private readonly traceIds: string[] = [];
  private readonly traceKeys = new Uint32Array(POOL_BYTES / 16);
  private nextTrace = 0;
  private readonly spanIds: string[] = [];
  private nextSpan = 0;

  /** `fill` puts random bytes in the pool (tests give their own). */
  constructor(private readonly fill: (pool: Buffer) => unknown = randomFillSync) {}

  generateTraceId(): string {
    if (this.nextTrace === this.traceIds.length) this.makeTraceIds();
    const next = this.nextTrace++;
    this.lastTraceKey = this.traceKeys[next] as number;
    return this.traceIds[next] as string;
  }

  generateSpanId(): string {
    if (this.nextSpan === this.spanIds.length) this.makeSpanIds();
    return this.spanIds[this.nextSpan++] as string;
  }

  private makeTraceIds(): void {
    const pool = this.encodePool(16, this.traceIds);
    for (let at = 0, i = 0; at < POOL_BYTES; at += 16, i++) {
      this.traceKeys[i] = (pool.readUInt32BE(at) ^ pool.readUInt32BE(at + 4) ^ pool.readUInt32BE(at + 8) ^ pool.readUInt32BE(at + 12)) >>> 0;
    }
    this.nextTrace = 0;
  }

  private makeSpanIds(): void {
    this.encodePool(8, this.spanIds);
    this.nextSpan = 0;
  }

  /** Refills the pool and writes it out into `ids` as hex ids of `bytes` bytes each; returns the pool. */
  private encodePool(bytes: number, ids: string[]): Buffer {
    const pool = this.pool;
    this.fill(pool);
    const zero = '0'.repeat(bytes * 2);
    for (let at = 0, i = 0; at < POOL_BYTES; at += bytes, i++) {
      let id = pool.toString('hex', at, at + bytes);
      if (id === zero) {
        // Mended in the bytes, so that a trace id's key, read from them, is that of the id handed out.
        pool[at + bytes - 1] = 1;
        id = pool.toString('hex', at, at + bytes);
      }
      ids[i] = id;
    }
    return pool;
  }
}

export interface Caller {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const isLowerHex = (code: number) => (code >= 48 && code <= 57) || (code >= 97 && code <= 102);

/** Whether header[from, to) is lowercase hex and not all zeros. */
function isId(header: string, from: number, to: number): boolean {
  let zero = true;
  for (let i = from; i < to; i++) {
    const code = header.charCodeAt(i);
    if (!isLowerHex(code)) return false;
    if (code !== 48) zero = false;
  }
  return !zero;
}

/**
 * The caller in a W3C `traceparent` header, or undefined when there is none or it is malformed;
 * accepts what OpenTelemetry's W3CTraceContextPropagator accepts (a later version may append
 * fields; version ff is invalid; one space either side is tolerated).
 */
export function parseTraceparent(header: string | string[] | undefined): Caller | undefined {
  if (typeof header !== 'string') return undefined;
  const value = header.length > 55 && (header.startsWith(' ') || header.endsWith(' ')) ? header.trim() : header;
  if (value.length < 55 || value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  const version = value.slice(0, 2);
  if (!isLowerHex(version.charCodeAt(0)) || !isLowerHex(version.charCodeAt(1)) || version === 'ff') return undefined;
  if (value.length > 55 && (version === '00' || value[55] !== '-')) return undefined;
  if (!isId(value, 3, 35) || !isId(value, 36, 52) || !isLowerHex(value.charCodeAt(53)) || !isLowerHex(value.charCodeAt(54))) return undefined;
  return { traceId: value.slice(3, 35), spanId: value.slice(36, 52), sampled: (Number.parseInt(value.slice(53, 55), 16) & 1) === 1 };
}
