import type { IncomingHttpHeaders } from 'node:http';
import { INTERNAL_HEADER } from '@meridian/service';

// Per-hop headers (RFC 9110 §7.6.1) and ones the gateway sets itself are never forwarded.
const NOT_FORWARDED = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'authorization', 'x-api-key', INTERNAL_HEADER,
  // The gateway has answered the client's 100-continue itself; the service gets the body at once.
  'expect',
]);

/** The client's headers minus per-hop ones, credentials and any spoofed internal identity. */
export function requestHeaders(incoming: IncomingHttpHeaders, extra: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  }
  return Object.assign(out, extra);
}

const NOT_RETURNED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'trailer']);

export function responseHeaders(upstream: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value !== undefined && !NOT_RETURNED.has(name)) out[name] = value;
  }
  return out;
}
