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
 * callbacks are.
 *
 * When the last open scope settles, the hooks are removed at once if scopes have been coming
 * rarely (on average more than `keepGapMs` apart), else kept until no scope has been opened for
 * about `idleMs`. Why: while the hooks are in place every await of the process is slower, scoped
 * or not: 2.3 times as slow in a loop of awaits, against 1.07 times once they have been removed
 * (`npm run bench:als-toggle`; what stays is V8's PromiseHook protector, which the first hook
 * invalidates for the life of the process: BENCHMARKS.md, tracing, session 21). Services with
 * the hooks always in place used 4 % more CPU per request in one measurement and no more in
 * another (sessions 17 and 18), their cached read making only a few promises. Adding and
 * removing the hooks costs a few microseconds per scope, which is less than keeping them when
 * one request in ten opens a scope and more when most do: kept while scopes kept coming, the
 * services used about 2 % less CPU per request at 100 % sampling (session 16).
 *
 * Why not AsyncLocalStorage: on Node 20 it runs async hooks on every promise, tick, timer and
 * socket callback of the process, and a service that switched it on for its sampled requests
 * only still used about 2.5 % more CPU per request at 10 % sampling than one doing the same with
 * promise hooks (BENCHMARKS.md, tracing, session 16). A service opens a scope around a request's
 * handler (server-spans.ts), which for a read answered from memory lasts a few microtasks.
 *
 * A promise made in a scope runs its reactions in that scope's context while the hooks stay, also
 * after the scope settled, as with AsyncLocalStorage. Once they have been removed it runs them in
 * none, also after they are added again: contexts carry the period of hooks they were entered in,
 * and those of a finished period are never taken for current ones.
 */
export class ScopedContextManager implements ContextManager {
  private readonly keepGapMs: number;
  private readonly idleMs: number;
  private current: Context = ROOT_CONTEXT;
  /** What promises made now record: undefined outside with() or outside scopes. */
  private entered: Stored | undefined;
  // The contexts to restore after each promise reaction (two arrays: no object per reaction).
  private readonly outerContexts: Context[] = [];
  private readonly outerEntered: (Stored | undefined)[] = [];
  private open = 0;
  private period = 0;
  private removeHooks: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Mean ms between the openings of scopes, weighted towards the latest (Infinity until two). */
  private meanGap = Number.POSITIVE_INFINITY;
  /** When the latest scope was opened (performance.now()). */
  private lastOpened = Number.NEGATIVE_INFINITY;
  private readonly close = (): void => {
    // After disable() a scope still open settles with nothing left to close.
    if (this.open > 0) this.open--;
    if (this.open > 0 || !this.removeHooks) return;
    if (this.meanGap > this.keepGapMs) this.stopHooks();
    else this.idleTimer ??= setInterval(this.removeWhenIdle, this.idleMs).unref();
  };
  private readonly removeWhenIdle = (): void => {
    if (this.open === 0 && performance.now() - this.lastOpened >= this.idleMs) this.stopHooks();
  };

  /**
   * `keepGapMs`: how close together scopes must come, on average, for the hooks to stay after the
   * last one settles; `idleMs`: how long they then stay without a scope being opened.
   */
  constructor({ keepGapMs = 1, idleMs = 200 }: { keepGapMs?: number; idleMs?: number } = {}) {
    this.keepGapMs = keepGapMs;
    this.idleMs = idleMs;
  }

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
    this.noteOpening();
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
    return this;
  }

  private noteOpening(): void {
    const now = performance.now();
    const gap = now - this.lastOpened;
    this.lastOpened = now;
    // Weighted over about the last ten gaps: one long pause must not remove a busy service's hooks.
    this.meanGap = Number.isFinite(this.meanGap) ? this.meanGap + (gap - this.meanGap) * 0.1 : gap;
  }

  private startHooks(): void {
    this.period++;
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
    // Removed during a promise reaction (a scope settling, or disable()), whose after() will then
    // not come: what was active outside the reactions is active again.
    if (this.outerContexts.length > 0) this.current = this.outerContexts[0] as Context;
    this.entered = undefined;
    this.outerContexts.length = 0;
    this.outerEntered.length = 0;
  }
}
