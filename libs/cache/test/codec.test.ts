import { afterAll, describe, expect, it } from 'vitest';
import { cacheKit } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

const sample = {
  when: new Date('2020-03-16T00:00:00.000Z'),
  closes: Float64Array.from([1.5, Number.NaN, -0, 3.25e-12]),
  flags: Int8Array.from([1, -1, 0]),
  nested: { deep: [{ a: 1 }, { b: [null, 'x'] }], empty: {} },
  big: Number.MAX_SAFE_INTEGER,
};

describe('codecs', () => {
  it('round-trips typed arrays, dates and nested objects exactly through Redis (v8)', async () => {
    const writer = await kit.cache();
    const reader = await kit.cache();
    await writer.namespace('indicators').set('sample', sample);
    const back = await reader.namespace('indicators').get<typeof sample>('sample');
    expect(back).toEqual(sample);
    expect(back?.closes).toBeInstanceOf(Float64Array);
    expect(Object.is(back?.closes[2], -0)).toBe(true);
    expect(back?.when).toBeInstanceOf(Date);
  });

  // 2,000 values compress on the calling thread, 20,000 in zlib's thread pool (IN_PLACE_BELOW_BYTES).
  it.each([2_000, 20_000])('compresses values over the threshold and still round-trips them (%i float64s)', async (length) => {
    const writer = await kit.cache();
    const reader = await kit.cache();
    const series = Float64Array.from({ length }, (_, i) => 100 + Math.round(Math.sin(i / 50) * 1000) / 100);
    await writer.namespace('bars').set('large', { series });
    const raw = await (await kit.redis()).getBuffer(`${kit.prefix}c:bars:large`);
    expect(raw?.length).toBeLessThan(series.byteLength / 2);
    const back = await reader.namespace('bars').get<{ series: Float64Array }>('large');
    expect(back?.series).toEqual(series);
  });

  it('stores JSON for namespaces that ask for it', async () => {
    const writer = await kit.cache();
    const reader = await kit.cache();
    const key = { id: 'k1', tenant: 'acme', scopes: ['read'] };
    await writer.namespace('apikeys', { codec: 'json' }).set('hash', key);
    const raw = await (await kit.redis()).getBuffer(`${kit.prefix}c:apikeys:hash`);
    expect(raw?.toString('utf8')).toContain('"tenant":"acme"');
    expect(await reader.namespace('apikeys', { codec: 'json' }).get('hash')).toEqual(key);
  });
});
