import { Pool } from 'undici';

/**
 * Routes whose answer stays open for as long as the client listens (live events, progress
 * streams, exports): each holds an upstream connection for its whole life.
 */
const LONG_LIVED = [/^\/v1\/live(\?|$)/, /^\/v1\/[^?]*\/(events|stream)(\?|$)/];

export const isLongLived = (url: string): boolean => LONG_LIVED.some((route) => route.test(url));

/**
 * A keep-alive connection pool to one service. Requests share up to 64 connections; long-lived
 * streams get a pool without a cap, one connection per client, so that thousands of open streams
 * never queue the short requests behind them.
 */
export function createUpstreamPool(url: string, headersTimeoutMs: number, longLived = false): Pool {
  return new Pool(url, {
    connections: longLived ? null : 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connectTimeout: 2_000,
    headersTimeout: headersTimeoutMs,
    // Streams (exports, SSE progress) may stay open for as long as the data flows.
    bodyTimeout: 0,
  });
}
