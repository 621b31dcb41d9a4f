import { describe, expect, it } from 'vitest';
import { UPSTREAM_PREFIXES } from '../src/index.js';

describe('upstream prefixes', () => {
  it('give every public prefix exactly one owner, with no prefix nested in another', () => {
    const all = Object.values(UPSTREAM_PREFIXES).flat();
    expect(new Set(all).size).toBe(all.length);
    for (const a of all) for (const b of all) if (a !== b) expect(b.startsWith(`${a}/`)).toBe(false);
    expect(all.every((prefix) => /^\/v1\/[a-z-]+$/.test(prefix))).toBe(true);
  });
});
