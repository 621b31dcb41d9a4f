import type { CodecName } from './codec.js';

export interface NamespaceOptions {
  /** How long a value is fresh. */
  ttlMs: number;
  /** How long after that it is kept as a fallback when the factory fails or is slow (fail-safe). */
  graceMs: number;
  /** Soft factory timeout: past it a stale value is served and the refresh goes on in background. */
  timeoutMs?: number;
  /** Bound on every wait of a call (lock, factory): past it the caller gets CacheTimeoutError. */
  hardTimeoutMs?: number;
  /** A hit past this fraction of the TTL refreshes the value in background; 0 turns it off. */
  eagerRefresh: number;
  codec: CodecName;
  /** Payloads larger than this are gzipped before Redis. */
  compressAboveBytes: number;
}

/** How a namespace's values are written to Redis. */
export type Codec = Pick<NamespaceOptions, 'codec' | 'compressAboveBytes'>;

const MINUTE = 60_000;

/** What a namespace gets for each option its owner does not set. */
export const NAMESPACE_DEFAULTS: NamespaceOptions = { ttlMs: MINUTE, graceMs: 10 * MINUTE, eagerRefresh: 0, codec: 'v8', compressAboveBytes: 8192 };
