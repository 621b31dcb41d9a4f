import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Caller } from './signature.js';

/**
 * Signed links: a URL that lets a browser GET one page (and what lies under it) for one tenant
 * until it expires, without an API key in the URL. The link names the API key it was made with;
 * the gateway honours it only while that key exists, is not revoked and belongs to the tenant.
 *
 *   <path>?link=<key id>.<expiry, epoch s>.<HMAC-SHA256, base64url>
 *
 * A browser that followed a link keeps the token in an HttpOnly cookie scoped to the signed
 * path, so what the page loads from below that path is granted the same way.
 *
 * The HMAC key is derived from the internal secret, so every service can make links the
 * gateway accepts, and a link cannot stand in for an internal signature.
 */
export const LINK_PARAM = 'link';
export const DEFAULT_LINK_TTL_S = 3600;
const FORMAT = /^([\w-]{1,64})\.(\d{1,12})\.([\w-]{43})$/;

const linkKey = (secret: string): Buffer => createHmac('sha256', secret).update('meridian-links-v1').digest();

function mac(secret: string, path: string, caller: Caller, expires: number): Buffer {
  return createHmac('sha256', linkKey(secret)).update(`GET\n${path}\n${caller.tenant}\n${caller.keyId}\n${expires}`).digest();
}

/** `path` with the link parameter appended; valid for `ttlS` seconds. */
export function signLink(secret: string, path: string, caller: Caller, { ttlS = DEFAULT_LINK_TTL_S, now = Date.now() }: { ttlS?: number; now?: number } = {}): { url: string; expiresAt: Date } {
  const expires = Math.floor(now / 1000) + ttlS;
  const token = `${caller.keyId}.${expires}.${mac(secret, path, caller, expires).toString('base64url')}`;
  return { url: `${path}${path.includes('?') ? '&' : '?'}${LINK_PARAM}=${token}`, expiresAt: new Date(expires * 1000) };
}

export interface LinkToken {
  keyId: string;
  expires: number;
  signature: Buffer;
}

/** The token's parts; undefined when it is not one signLink makes. */
export function parseLinkToken(token: string): LinkToken | undefined {
  const match = FORMAT.exec(token);
  return match ? { keyId: match[1] as string, expires: Number(match[2]), signature: Buffer.from(match[3] as string, 'base64url') } : undefined;
}

export interface LinkVerdict {
  status: 'ok' | 'expired' | 'invalid';
  /** The path the link was signed for, when the signature holds. */
  path?: string;
}

/**
 * Whether the token grants a GET of `requestPath` to the tenant: signed for that path or a page
 * above it (`/v1/backtests/x/report` covers `/v1/backtests/x/report/chart.js`), and not expired.
 */
export function linkGrants(secret: string, token: LinkToken, tenant: string, requestPath: string, now = Date.now()): LinkVerdict {
  const caller = { tenant, keyId: token.keyId };
  for (let path = requestPath; path.startsWith('/v1/'); path = path.slice(0, path.lastIndexOf('/'))) {
    const expected = mac(secret, path, caller, token.expires);
    if (expected.length === token.signature.length && timingSafeEqual(expected, token.signature)) return { status: token.expires * 1000 > now ? 'ok' : 'expired', path };
  }
  return { status: 'invalid' };
}

/** The cookie a followed link leaves, so the page's own requests (scripts, data, its event stream) carry it too. */
export const LINK_COOKIE = 'meridian_link';
