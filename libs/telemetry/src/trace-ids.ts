import type { IdGenerator } from '@opentelemetry/sdk-trace';

// Each byte as two lowercase hex digits.
const BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const hexByte = (value: number) => BYTES[value & 0xff] as string;

/** `words` random 32-bit words as lowercase hex: one Math.random per four bytes. */
function randomHex(words: number): string {
  let id = '';
  let zero = true;
  for (let i = 0; i < words; i++) {
    const word = (Math.random() * 0x1_0000_0000) >>> 0;
    if (word !== 0) zero = false;
    id += hexByte(word >>> 24) + hexByte(word >>> 16) + hexByte(word >>> 8) + hexByte(word);
  }
  // An id of zeros is invalid in W3C trace context, as in the SDK's generator.
  return zero ? `${id.slice(0, -2)}01` : id;
}

/**
 * Random trace and span ids as the SDK's RandomIdGenerator makes them (Math.random, lowercase hex),
 * written in JavaScript instead of through a Buffer: ids are made for every request.
 */
export class HexIdGenerator implements IdGenerator {
  generateTraceId(): string {
    return randomHex(4);
  }

  generateSpanId(): string {
    return randomHex(2);
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
