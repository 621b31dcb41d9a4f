import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, hashKey, parseKey } from '../src/auth/api-key.js';

describe('API key format', () => {
  it('is mk_<prefix>_<secret> with 160 random bits and parses back to its prefix', () => {
    const { key, prefix, hash } = generateKey();
    expect(key).toMatch(/^mk_[0-9a-f]{8}_[0-9a-f]{46}$/);
    expect(parseKey(key)).toBe(prefix);
    expect(hash.equals(hashKey(key))).toBe(true);
    expect(hash.toString('hex')).toBe(createHash('sha256').update(key).digest('hex'));
    expect(prefix).toMatch(/^[0-9a-f]{8}$/);
    expect(key.startsWith(`mk_${prefix}_`)).toBe(true);
    expect(generateKey().key).not.toBe(key);
  });

  it('refuses a key with one character changed, by its checksum', () => {
    const { key } = generateKey();
    const last = key.at(-10) === 'a' ? 'b' : 'a';
    expect(parseKey(`${key.slice(0, -10)}${last}${key.slice(-9)}`)).toBeUndefined();
    expect(parseKey(`${key}0`)).toBeUndefined();
    expect(parseKey('mk_nothex00_x')).toBeUndefined();
    expect(parseKey(key.toUpperCase())).toBeUndefined();
    expect(parseKey(` ${key}`)).toBeUndefined();
  });
});
