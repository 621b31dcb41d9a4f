import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../src/breaker.js';
import { decodeEntry, encodeEntry } from '../src/entry.js';

describe('the circuit breaker', () => {
  const changes: [string, string | undefined][] = [];
  const breaker = () => new CircuitBreaker({ failures: 3, openMs: 1_000, onChange: (state, error) => void changes.push([state, error?.message]) });
  const boom = (n: number) => new Error(`boom ${n}`);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
    changes.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('opens only after the given number of consecutive failures, and says why', () => {
    const b = breaker();
    b.failure(boom(1));
    b.failure(boom(2));
    expect([b.state, b.allow()]).toEqual(['closed', true]);
    b.failure(boom(3));
    expect([b.state, b.allow()]).toEqual(['open', false]);
    expect(changes).toEqual([['open', 'boom 3']]);
  });

  it('counts failures only in a row: a success starts the count again', () => {
    const b = breaker();
    b.failure(boom(1));
    b.failure(boom(2));
    b.success();
    b.failure(boom(3));
    b.failure(boom(4));
    expect(b.state).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('lets exactly one probe through once the open period is over', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure(boom(i));
    vi.setSystemTime(999);
    expect(b.allow()).toBe(false);
    vi.setSystemTime(1_000);
    expect(b.allow()).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe(false);
  });

  it('opens again at once when the probe fails, for another full period', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure(boom(i));
    vi.setSystemTime(1_000);
    expect(b.allow()).toBe(true);
    b.failure(boom(9));
    expect(b.state).toBe('open');
    vi.setSystemTime(1_999);
    expect(b.allow()).toBe(false);
    vi.setSystemTime(2_000);
    expect(b.allow()).toBe(true);
    expect(changes.map(([state]) => state)).toEqual(['open', 'half-open', 'open', 'half-open']);
  });

  it('closes when the probe succeeds, and lets every call through again', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure(boom(i));
    vi.setSystemTime(1_000);
    b.allow();
    b.success();
    expect(b.state).toBe('closed');
    expect([b.allow(), b.allow()]).toEqual([true, true]);
    expect(changes.at(-1)).toEqual(['closed', undefined]);
    // And it takes the full count of failures to open once more.
    b.failure(boom(1));
    b.failure(boom(2));
    expect(b.state).toBe('closed');
  });
});

describe('an entry in Redis', () => {
  const entry = { value: { a: 1 }, createdAt: 1_000.5, freshUntil: 2_000.25, staleUntil: 3_000.125, tags: ['ns:x', 'symbol:SPX'] };

  it('round-trips its times, tags and value, and knows its size before compression', async () => {
    const { bytes, size } = await encodeEntry(entry, 'json', 1 << 20);
    expect(size).toBe(Buffer.byteLength(JSON.stringify(entry.value)));
    expect(await decodeEntry(bytes)).toEqual({ ...entry, size });
  });

  it('keeps an entry without tags without tags', async () => {
    const { bytes } = await encodeEntry({ ...entry, tags: [] }, 'v8', 1 << 20);
    expect((await decodeEntry(bytes))?.tags).toEqual([]);
  });

  it("reads another release's layout, or bytes too short to be an entry, as a miss", async () => {
    const { bytes } = await encodeEntry(entry, 'v8', 1 << 20);
    const other = Buffer.from(bytes);
    other.writeUInt8(2, 0);
    expect(await decodeEntry(other)).toBeUndefined();
    expect(await decodeEntry(bytes.subarray(0, 20))).toBeUndefined();
  });

  it('compresses only a payload over the threshold', async () => {
    const big = { ...entry, value: 'x'.repeat(5_000) };
    const plain = await encodeEntry(big, 'json', 10_000);
    const packed = await encodeEntry(big, 'json', 4_000);
    expect(packed.bytes.length).toBeLessThan(plain.bytes.length / 10);
    expect(packed.size).toBe(plain.size);
    expect((await decodeEntry(packed.bytes))?.value).toBe(big.value);
  });
});
