import { Pool } from 'undici';

/** A keep-alive connection pool to one service. */
export function createUpstreamPool(url: string, headersTimeoutMs: number): Pool {
  return new Pool(url, {
    connections: 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connectTimeout: 2_000,
    headersTimeout: headersTimeoutMs,
    // Streams (exports, SSE progress) may stay open for as long as the data flows.
    bodyTimeout: 0,
  });
}
