import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Carries the caller's identity from the gateway to a service, signed with the shared secret. */
export const INTERNAL_HEADER = 'x-meridian-internal';
/** How long a signature is honoured, either side of its time stamp. */
export const VALIDITY_MS = 30_000;

export interface Caller {
  tenant: string;
  keyId: string;
}

/**
 * What a signature says of the body: `-` none, `sha256-<base64url>` exactly these bytes, `stream`
 * a streamed upload the gateway passes on without holding it (bound by the nonce alone).
 */
export type BodyDigest = '-' | 'stream' | `sha256-${string}`;

export interface Signed {
  caller: Caller;
  nonce: string;
  body: BodyDigest;
}

const FORMAT = /^v2;t=(\d{13});n=([0-9a-f]{32});tenant=([\w.-]{1,64});key=([\w.-]{0,64});d=(-|stream|sha256-[\w-]{43});sig=([0-9a-f]{64})$/;

/** The digest of a body as a signature names it. */
export const bodyDigest = (body: Buffer | string): BodyDigest => `sha256-${createHash('sha256').update(body).digest('base64url')}`;

function mac(secret: string, method: string, path: string, caller: Caller, at: number, nonce: string, body: BodyDigest): string {
  return createHmac('sha256', secret).update(`v2\n${method}\n${path}\n${caller.tenant}\n${caller.keyId}\n${at}\n${nonce}\n${body}`).digest('hex');
}

/**
 * The header the gateway sends with one request: method, path, caller, time, a one-time nonce and
 * what the body is (`body`: its bytes, `'stream'`, or nothing) under one HMAC.
 */
export function signInternal(secret: string, method: string, path: string, caller: Caller, { body, now = Date.now() }: { body?: Buffer | string | 'stream'; now?: number } = {}): string {
  const nonce = randomBytes(16).toString('hex');
  const digest: BodyDigest = body === undefined || body.length === 0 ? '-' : body === 'stream' ? 'stream' : bodyDigest(body);
  return `v2;t=${now};n=${nonce};tenant=${caller.tenant};key=${caller.keyId};d=${digest};sig=${mac(secret, method, path, caller, now, nonce, digest)}`;
}

/**
 * What a well-formed, fresh header correctly signed for this method and path says; undefined
 * otherwise. The caller still checks that the nonce is new and the body matches its digest.
 */
export function verifyInternal(secret: string, method: string, path: string, header: string | undefined, now = Date.now()): Signed | undefined {
  const match = header === undefined ? null : FORMAT.exec(header);
  if (!match) return undefined;
  const [, at, nonce, tenant, keyId, body, sig] = match as unknown as [string, string, string, string, string, BodyDigest, string];
  if (Math.abs(now - Number(at)) > VALIDITY_MS) return undefined;
  const expected = Buffer.from(mac(secret, method, path, { tenant, keyId }, Number(at), nonce, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(sig, 'hex')) ? { caller: { tenant, keyId }, nonce, body } : undefined;
}
