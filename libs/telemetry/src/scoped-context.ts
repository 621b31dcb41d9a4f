import { promiseHooks } from 'node:v8';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

/** The context a promise was made in, with the scope period it was made in. */
interface Stored {
  context: Context;
  period: number;
}

const STORED = Symbol('meridian.context');
type Tagged = Promise<unknown> & { [STORED]?: Stored };

/**
 * A context manager that carries contexts across awaits only while something needs it, and
 * without async hooks.
 *
 * Outside scopes a context is active for the synchronous extent of `with()` and inside functions
 * made with `bind()`, as pg's and ioredis's instrumentations need it when a call is made. `run()`
 * opens a scope: until the promise it returns settles, V8's promise hooks record on each promise
 * the context it was made in, and enter that context around the promise's reactions, so a context
 * follows every `await` and `then` of the scope, and of `with()` calls made in it. Timers,
 * `nextTick` and event callbacks do not carry it unless made with `bind()`, as instrumentations'
 * callbacks are. The hooks are removed once no scope has been opened for about `idleMs`.
 *
 * Why not remove them as soon as the last scope settles: in a running service adding the hooks
 * took about 15 µs and removing them 4 µs, paid by every sampled request. Kept while scopes keep
 * coming, the services used about 2 % less CPU per request at 100 % sampling, and the same at
 * 10 % (BENCHMARKS.md, tracing, session 16).
 *
 * Why not AsyncLocalStorage: on Node 20 it runs async hooks on every promise, tick, timer and
 * socket callback of the process, and a service that switched it on for its sampled requests
 * only still used about 2.5 % more CPU per request at 10 % sampling than one doing the same with
 * promise hooks (BENCHMARKS.md, tracing, session 16). A service opens a scope around a request's
 * handler (server-spans.ts), which for a read answered from memory lasts a few microtasks.
 *
 * A promise made in a scope runs its reactions in that scope's context while the hooks stay, also
 * after the scope settled, as with AsyncLocalStorage. Once they have been removed and added again
 * it runs them in none: contexts carry the period of hooks they were entered in, and those of a
 * finished period are never taken for current ones.
 */
export class ScopedContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;
  /** What promises made now record: undefined outside with() or outside scopes. */
  private entered: Stored | undefined;
  // The contexts to restore after each promise reaction (two arrays: no object per reaction).
  private readonly outerContexts: Context[] = [];
  private readonly outerEntered: (Stored | undefined)[] = [];
  private open = 0;
  private period = 0;
  private removeHooks: (() => void) | undefined;
  /** Whether a scope was opened since the idle timer last looked. */
  private opened = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly close = (): void => {
    // After disable() a scope still open settles with nothing left to close.
    if (this.open > 0) this.open--;
  };
  private readonly removeWhenIdle = (): void => {
    if (this.open === 0 && !this.opened) this.stopHooks();
    this.opened = false;
  };

  /** `idleMs`: how long the hooks stay without an open scope before they are removed. */
  constructor(private readonly idleMs = 200) {}

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    const previousEntered = this.entered;
    this.current = context;
    this.entered = this.open > 0 ? { context, period: this.period } : undefined;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
      this.entered = previousEntered;
    }
  }

  /**
   * Runs `fn` with `context` active across its awaits until what it returns settles (at once for
   * anything but a promise).
   */
  run<T>(context: Context, fn: () => T): T {
    this.open++;
    this.opened = true;
    if (!this.removeHooks) this.startHooks();
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
    // with() takes the receiver and arguments itself: no closure is made per call.
    const enter = (thisArg: unknown, args: unknown[]) => this.with(context, fn, thisArg, ...args);
    return function bound(this: unknown, ...args: unknown[]) {
      return enter(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.open = 0;
    this.stopHooks();
    this.current = ROOT_CONTEXT;
    this.entered = undefined;
    return this;
  }

  private startHooks(): void {
    this.period++;
    this.idleTimer = setInterval(this.removeWhenIdle, this.idleMs).unref();
    // @types/node calls the function that removes the hooks a `Function`.
    this.removeHooks = promiseHooks.createHook({
      init: (promise) => {
        if (this.entered !== undefined) (promise as Tagged)[STORED] = this.entered;
      },
      before: (promise) => {
        this.outerContexts.push(this.current);
        this.outerEntered.push(this.entered);
        const stored = (promise as Tagged)[STORED];
        const current = stored !== undefined && stored.period === this.period ? stored : undefined;
        this.current = current?.context ?? ROOT_CONTEXT;
        this.entered = current;
      },
      after: () => {
        if (this.outerContexts.length === 0) return;
        this.current = this.outerContexts.pop() as Context;
        this.entered = this.outerEntered.pop();
      },
    }) as () => void;
  }

  private stopHooks(): void {
    clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    this.removeHooks?.();
    this.removeHooks = undefined;
    // disable() may be called during a promise reaction, whose after() will then not come.
    this.outerContexts.length = 0;
    this.outerEntered.length = 0;
  }
}
