import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { preferredEncoding } from '@meridian/service';
import { type CachedBody, cachedBody, CompressedBodies } from '../src/http-cache.js';

describe('compressed copies of cached answers', () => {
  it('compresses an answer once per encoding and serves the same bytes after', () => {
    const bodies = new CompressedBodies();
    const answer = cachedBody({ values: Array.from({ length: 500 }, (_, i) => i) });
    const first = bodies.get('gzip', answer);
    expect(bodies.get('gzip', answer)).toBe(first);
    expect(gunzipSync(first).toString()).toBe(answer.body);
    expect(bodies.get('br', answer)).not.toBe(first);
    expect(bodies.size).toBe(2);
  });

  it('drops the least recently used copies beyond its byte budget', () => {
    const [first, second, third] = [1, 2, 3].map((seed) => cachedBody({ values: Array.from({ length: 2000 }, (_, i) => (i * seed * 7919) % 1000) })) as [CachedBody, CachedBody, CachedBody];
    const one = new CompressedBodies().get('gzip', first).length;
    const bodies = new CompressedBodies(one * 2.5);
    const kept = bodies.get('gzip', first);
    bodies.get('gzip', second);
    bodies.get('gzip', first);
    bodies.get('gzip', third);
    expect(bodies.size).toBe(2);
    // The second was the least recently used: the first is still the same copy.
    expect(bodies.get('gzip', first)).toBe(kept);
  });

  it('reads Accept-Encoding with q-values: br first, then gzip, nothing for identity', () => {
    expect(preferredEncoding('gzip, deflate, br')).toBe('br');
    expect(preferredEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(preferredEncoding('GZIP')).toBe('gzip');
    expect(preferredEncoding('identity')).toBeUndefined();
    expect(preferredEncoding('gzip;q=0')).toBeUndefined();
    expect(preferredEncoding(undefined)).toBeUndefined();
  });
});
