import { createHash, randomBytes } from 'node:crypto';

/**
 * `mk_<prefix>_<secret><check>`: an 8-hex public prefix to find the key by, 40 hex (160 random
 * bits) of secret, and 6 hex of SHA-256 over the rest, so a mistyped key is refused without a
 * database look-up.
 */
const FORMAT = /^mk_([0-9a-f]{8})_([0-9a-f]{40})([0-9a-f]{6})$/;

function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 6);
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function generateKey(): { key: string; prefix: string; hash: Buffer } {
  const prefix = randomBytes(4).toString('hex');
  const body = `mk_${prefix}_${randomBytes(20).toString('hex')}`;
  const key = `${body}${checksum(body)}`;
  return { key, prefix, hash: hashKey(key) };
}

/** The key's prefix when it is well formed and its checksum holds; undefined otherwise. */
export function parseKey(key: string): string | undefined {
  const match = FORMAT.exec(key);
  if (!match) return undefined;
  const body = `mk_${match[1]}_${match[2]}`;
  return checksum(body) === match[3] ? match[1] : undefined;
}
