import { afterAll, describe, expect, it } from 'vitest';
import { Cache } from '../src/index.js';
import { cacheKit, eventually } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

describe('tags', () => {
  it('deletes by tag on three instances through the bus, memory included', async () => {
    const a = await kit.cache();
    const onA = a.namespace('indicators');
    const onB = (await kit.cache()).namespace('indicators');
    const onC = (await kit.cache()).namespace('indicators');
    for (const space of [onA, onB, onC]) expect(await space.getOrSet('sma:SPX', () => 'v1', { tags: ['symbol:SPX'] })).toBe('v1');
    await onB.getOrSet('sma:AAPL', () => 'aapl', { tags: ['symbol:AAPL'] });

    await a.deleteByTag(['symbol:SPX']);
    await eventually('b and c to drop the tag', async () => !(await onB.has('sma:SPX')) && !(await onC.has('sma:SPX')));
    expect(await onA.has('sma:SPX')).toBe(false);
    expect(await onC.getOrSet('sma:SPX', () => 'v2', { tags: ['symbol:SPX'] })).toBe('v2');
    // Another symbol's entries are untouched.
    expect(await onB.get('sma:AAPL')).toBe('aapl');
  });

  it('expires by tag: the old value is stale, served only when the refresh fails', async () => {
    const a = await kit.cache();
    const onA = a.namespace('signals');
    const onB = (await kit.cache()).namespace('signals');
    await onA.getOrSet('latest:SPX', () => 'old', { tags: ['symbol:SPX'] });
    await onB.getOrSet('latest:SPX', () => 'unused', { tags: ['symbol:SPX'] });
    await a.expireByTag(['symbol:SPX']);
    // B learns of the expiry over the invalidation bus.
    await eventually('b to stop serving the expired value', async () => (await onB.get('latest:SPX')) === undefined);
    expect(await onB.getOrSet('latest:SPX', () => Promise.reject(new Error('down')), { tags: ['symbol:SPX'] })).toBe('old');
    expect(await onA.getOrSet('latest:SPX', () => 'new', { tags: ['symbol:SPX'] })).toBe('new');
  });

  it('does not keep a value whose factory started before the invalidation', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('bars');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const pending = space.getOrSet('race', async () => {
      started();
      await gate;
      return 'computed from old bars';
    }, { tags: ['symbol:RACE'] });
    // The invalidation must land while the factory runs, however long the lookup before it takes.
    await running;
    await cache.deleteByTag(['symbol:RACE']);
    release();
    await pending;
    expect(await space.has('race')).toBe(false);
    expect(await space.getOrSet('race', () => 'computed from new bars', { tags: ['symbol:RACE'] })).toBe('computed from new bars');
  });

  it('frees the memory of deleted entries on every instance at once, not when next read', async () => {
    const a = await kit.cache();
    const b = await kit.cache();
    const onB = b.namespace('bars');
    for (let i = 0; i < 20; i++) await onB.getOrSet(`free-${i}`, () => 'x'.repeat(500), { tags: ['symbol:FREE'] });
    await onB.getOrSet('kept', () => 'y', { tags: ['symbol:KEEP'] });
    expect(b.stats().l1.entries).toBe(21);
    await a.deleteByTag(['symbol:FREE']);
    await eventually('b to drop the entries', () => b.stats().l1.entries === 1);
  });

  it('clears a namespace as a unit and leaves the others', async () => {
    const cache = await kit.cache();
    await cache.namespace('strategies').set('s1', { id: 1 });
    await cache.namespace('backtests').set('b1', { id: 1 });
    await cache.namespace('strategies').clear();
    expect(await cache.namespace('strategies').has('s1')).toBe(false);
    // The other namespace keeps its value in memory, not only in Redis.
    expect(cache.namespace('backtests').peek('b1')).toEqual({ id: 1 });
    expect(await cache.namespace('backtests').get('b1')).toEqual({ id: 1 });
  });

  it('reconciles after the bus was down: invalidations missed meanwhile do not leave stale memory', async () => {
    const a = await kit.cache();
    const b = await kit.cache();
    const onB = b.namespace('indicators');
    expect(await onB.getOrSet('rsi:SPX', () => 'before', { tags: ['symbol:RSI'] })).toBe('before');
    await onB.set('untouched', 1);

    b.interruptBus();
    await a.deleteByTag(['symbol:RSI']);
    // Without reconciliation b would serve 'before' from memory forever.
    await eventually('b to reconcile', async () => (await onB.getOrSet('rsi:SPX', () => 'after', { tags: ['symbol:RSI'] })) === 'after');
    // Reconciling drops all of memory, not only what the missed message named.
    expect(onB.peek('untouched')).toBeUndefined();
    expect(await onB.get('untouched')).toBe(1);
  });

  it('keeps an expired tag’s entries in memory, to serve them stale when the factory fails', async () => {
    const cache = new Cache({ prefix: kit.prefix });
    const space = cache.namespace('expired-in-memory', { graceMs: 60_000 });
    await space.set('k', 'old', { tags: ['symbol:EXP'] });
    await cache.expireByTag(['symbol:EXP']);
    expect(space.peek('k')).toBeUndefined();
    expect(await space.getOrSet('k', () => Promise.reject(new Error('down')))).toBe('old');
  });

  it('keeps in memory an entry made after a deletion another instance announces late', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('announced');
    const before = Date.now();
    await space.set('k', 1, { tags: ['symbol:ANN'] });
    await space.set('probe', 1, { tags: ['symbol:PROBE'] });
    const redis = await kit.redis();
    const announce = (tag: string, at: number) => redis.publish(`${kit.prefix}cache:bus`, JSON.stringify({ from: 'elsewhere', tags: [tag], kind: 'deleted', at }));
    await announce('symbol:ANN', before - 1_000);
    await announce('symbol:PROBE', Date.now());
    // Messages arrive in order: once the probe is gone, the late one was read too.
    await eventually('the messages to arrive', () => space.peek('probe') === undefined);
    expect(space.peek('k')).toBe(1);
  });

  it('stops hearing other instances once closed', async () => {
    const a = (await kit.cache()).namespace('closed');
    const closing = await kit.cache();
    const b = closing.namespace('closed');
    const c = (await kit.cache()).namespace('closed');
    await a.set('k', 1);
    expect([await b.get('k'), await c.get('k')]).toEqual([1, 1]);
    closing.close();
    await a.delete('k');
    await eventually('c to hear of the delete', () => c.peek('k') === undefined);
    expect(b.peek('k')).toBe(1);
  });
});
