import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { CallStackContextManager } from '../src/call-stack-context.js';

const KEY = createContextKey('test');
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CallStackContextManager', () => {
  const manager = new CallStackContextManager();
  const marked = ROOT_CONTEXT.setValue(KEY, 'marked');

  it('makes a context active for the synchronous extent of with(), nested and after a throw', () => {
    const inner = marked.setValue(KEY, 'inner');
    expect(manager.with(marked, () => manager.with(inner, () => manager.active().getValue(KEY)))).toBe('inner');
    expect(() => manager.with(marked, () => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('forgets the context across an await, but keeps it in bound callbacks', async () => {
    const seen = await manager.with(marked, async () => {
      const bound = manager.bind(manager.active(), () => manager.active().getValue(KEY));
      await tick();
      return { afterAwait: manager.active().getValue(KEY), bound: bound() };
    });
    expect(seen).toEqual({ afterAwait: undefined, bound: 'marked' });
  });
});
