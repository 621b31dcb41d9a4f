import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

/** A context as kept in the AsyncLocalStorage, with the scope period it was entered in. */
interface Stored {
  context: Context;
  period: number;
}

/**
 * A context manager that pays for AsyncLocalStorage only while something needs it.
 *
 * Outside scopes a context is active for the synchronous extent of `with()` and inside functions
 * made with `bind()`, as pg's and ioredis's instrumentations need it when a call is made. `run()`
 * opens a scope: until the promise it returns settles, contexts follow awaits, timers and
 * callbacks as with the SDK's AsyncLocalStorage manager, and so does every `with()` made meanwhile.
 * When the last open scope settles the storage is disabled.
 *
 * Why: on Node 20 an enabled AsyncLocalStorage runs async hooks on every promise, tick and timer of
 * the process, sampled request or not; code made of awaits took 2.5 times as long with them, and
 * its own time again once the storage was disabled (npm run bench:als-toggle). A
 * service opens a scope around a request's handler (server-spans.ts), which for a read answered
 * from memory lasts a few microtasks.
 *
 * A resource created in a scope keeps its context after the storage is disabled and enabled again;
 * contexts carry the period of scopes they were entered in, so those of a finished period are
 * never taken for current ones.
 */
export class ScopedContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Stored>();
  private current: Context = ROOT_CONTEXT;
  private open = 0;
  private period = 0;
  private readonly close = (): void => {
    // After disable() a scope still open settles with nothing left to close.
    if (this.open > 0 && --this.open === 0) this.storage.disable();
  };

  active(): Context {
    if (this.open > 0) {
      const stored = this.storage.getStore();
      if (stored !== undefined && stored.period === this.period) return stored.context;
    }
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return this.open > 0 ? this.storage.run({ context, period: this.period }, () => fn.call(thisArg, ...args)) : fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  /**
   * Runs `fn` with `context` active across its awaits until what it returns settles (at once for
   * anything but a promise).
   */
  run<T>(context: Context, fn: () => T): T {
    if (this.open++ === 0) this.period++;
    let result: T;
    try {
      result = this.with(context, fn);
    } catch (error) {
      this.close();
      throw error;
    }
    if (result instanceof Promise) result.then(this.close, this.close);
    else this.close();
    return result;
  }

  /** Functions run in `context` whenever they are called; anything else is returned as it is. */
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as (...args: unknown[]) => unknown;
    const run = (thisArg: unknown, args: unknown[]) => this.with(context, () => fn.apply(thisArg, args));
    return function bound(this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    this.open = 0;
    this.storage.disable();
    return this;
  }
}
