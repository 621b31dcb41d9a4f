import { describe, expect, it } from 'vitest';
import { canonicalJson, deterministicJobId } from '../src/index.js';

describe('deterministic job ids', () => {
  it('gives the same id for the same request whatever the key order', () => {
    const a = deterministicJobId('signals', 'acme', { symbols: ['A', 'B'], rule: { fast: 5, slow: 20 } });
    const b = deterministicJobId('signals', 'acme', { rule: { slow: 20, fast: 5 }, symbols: ['A', 'B'] });
    expect(a).toBe(b);
    expect(a).toMatch(/^signals-[0-9a-f]{32}$/);
  });

  it('gives another id for another tenant or another request', () => {
    const base = deterministicJobId('signals', 'acme', { symbols: ['A'] });
    expect(deterministicJobId('signals', 'other', { symbols: ['A'] })).not.toBe(base);
    expect(deterministicJobId('signals', 'acme', { symbols: ['B'] })).not.toBe(base);
    // Array order is meaning: callers sort what is a set before hashing.
    expect(canonicalJson({ s: ['A', 'B'] })).not.toBe(canonicalJson({ s: ['B', 'A'] }));
  });
});
