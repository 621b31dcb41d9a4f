import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * A context manager without AsyncLocalStorage: a context is active only for the synchronous
 * extent of `context.with()` and inside functions made with `context.bind()`; after an `await`
 * or in a later callback the root context is active again.
 *
 * On Node 20 AsyncLocalStorage runs async hooks on every promise, tick and timer of the process
 * once any context has been entered, sampled request or not (BENCHMARKS.md, tracing overhead).
 * A process whose spans are all made and handed on explicitly (the gateway: one server span per
 * request, its context injected into the forwarded request by the proxy) needs none of that.
 */
export class CallStackContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
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
    return this;
  }
}
