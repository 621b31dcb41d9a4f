import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ScopedContextManager } from '../src/scoped-context.js';

const KEY = createContextKey('test');
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ScopedContextManager', () => {
  const manager = new ScopedContextManager();
  const marked = ROOT_CONTEXT.setValue(KEY, 'marked');
  const seen = () => manager.active().getValue(KEY);

  it('outside scopes, makes a context active for the synchronous extent of with(), nested and after a throw', () => {
    const inner = marked.setValue(KEY, 'inner');
    expect(manager.with(marked, () => manager.with(inner, seen))).toBe('inner');
    expect(() => manager.with(marked, () => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('outside scopes, forgets the context across an await, but keeps it in bound callbacks', async () => {
    const result = await manager.with(marked, async () => {
      const bound = manager.bind(manager.active(), seen);
      await tick();
      return { afterAwait: seen(), bound: bound() };
    });
    expect(result).toEqual({ afterAwait: undefined, bound: 'marked' });
  });

  it('in a scope, keeps the context across awaits and then(), in bound callbacks, and in with() made there', async () => {
    const result = await manager.run(marked, async () => {
      await tick();
      const afterAwait = seen();
      const inThen = await Promise.resolve().then(seen);
      // Timers carry no context unless bound, as instrumentations bind their callbacks.
      const inTimer = await new Promise((resolve) => setTimeout(() => resolve(seen()), 1));
      const inBoundTimer = await new Promise((resolve) => setTimeout(manager.bind(manager.active(), () => resolve(seen())), 1));
      // What an instrumentation does around an async callback (BullMQ's producer span).
      const nested = await manager.with(marked.setValue(KEY, 'nested'), async () => {
        await tick();
        return seen();
      });
      return { afterAwait, inThen, inTimer, inBoundTimer, nested, afterNested: seen() };
    });
    expect(result).toEqual({ afterAwait: 'marked', inThen: 'marked', inTimer: undefined, inBoundTimer: 'marked', nested: 'nested', afterNested: 'marked' });
  });

  it('keeps concurrent scopes apart, and work outside them sees none', async () => {
    const other = ROOT_CONTEXT.setValue(KEY, 'other');
    const outside = (async () => {
      await tick();
      return seen();
    })();
    const [a, b] = await Promise.all([
      manager.run(marked, async () => (await tick(), seen())),
      manager.run(other, async () => (await tick(), await tick(), seen())),
    ]);
    expect({ a, b, outside: await outside }).toEqual({ a: 'marked', b: 'other', outside: undefined });
  });

  it('closes a scope when its promise settles, also when it rejects or throws at once', async () => {
    await expect(manager.run(marked, async () => {
      await tick();
      throw new Error('failed job');
    })).rejects.toThrow('failed job');
    expect(() => manager.run(marked, () => {
      throw new Error('at once');
    })).toThrow('at once');
    expect(manager.run(marked, seen)).toBe('marked');
    await tick();
    // No scope is open: a continuation made now carries nothing.
    expect(await (async () => (await tick(), seen()))()).toBeUndefined();
  });

  /**
   * Opens a scope that leaves a continuation running after it settles, then a second scope that
   * releases it: what each sees.
   */
  async function leftRunning(contexts: ScopedContextManager, before: () => Promise<unknown> = async () => undefined) {
    const seenBy = () => contexts.active().getValue(KEY);
    let fired: Promise<unknown> | undefined;
    let release: () => void = () => undefined;
    await contexts.run(marked, async () => {
      const gate = new Promise<void>((resolve) => (release = resolve));
      fired = gate.then(seenBy);
    });
    await before();
    const current = ROOT_CONTEXT.setValue(KEY, 'current');
    const [fromOld, fromCurrent] = await Promise.all([fired, contexts.run(current, async () => {
      release();
      await tick();
      return seenBy();
    })]);
    return { fromOld, fromCurrent, after: seenBy() };
  }

  it("keeps a settled scope's context for what it left running while scopes come close together", async () => {
    const busy = new ScopedContextManager({ keepGapMs: 60_000 });
    // The first scope has no gap to go by: its hooks go when it settles.
    await busy.run(marked, async () => undefined);
    expect(await leftRunning(busy)).toEqual({ fromOld: 'marked', fromCurrent: 'current', after: undefined });
  });

  it("removes the hooks as the last scope settles when scopes come rarely, and with them the settled scope's context", async () => {
    expect(await leftRunning(new ScopedContextManager({ keepGapMs: 0 }))).toEqual({ fromOld: undefined, fromCurrent: 'current', after: undefined });
  });

  it("never takes the context of a scope from before idle hooks were removed for a later one's", async () => {
    const brief = new ScopedContextManager({ keepGapMs: 60_000, idleMs: 5 });
    await brief.run(marked, async () => undefined);
    // Long enough for the idle hooks to be removed.
    const idle = () => new Promise((resolve) => setTimeout(resolve, 40));
    expect(await leftRunning(brief, idle)).toEqual({ fromOld: undefined, fromCurrent: 'current', after: undefined });
  });

  it('works again after disable(), also when a scope opened before it settles after it', async () => {
    const fresh = new ScopedContextManager();
    let settle: () => void = () => undefined;
    const pending = fresh.run(marked, () => new Promise<void>((resolve) => (settle = resolve)));
    fresh.disable();
    settle();
    await pending;
    await tick();
    const later = await fresh.run(marked, async () => (await tick(), fresh.active().getValue(KEY)));
    expect(later).toBe('marked');
  });
});
