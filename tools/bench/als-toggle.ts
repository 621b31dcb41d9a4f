/**
 * What carrying a context across awaits costs code made of awaits on this Node: an enabled
 * AsyncLocalStorage, whether disabling it gives the speed back, and the promise hooks of
 * libs/telemetry/src/scoped-context.ts. Each mode runs in a process of its own, since the hooks
 * are the process's: `never` enables no storage, `on` enables one and leaves it on, `toggled`
 * enables one and disables it again, `scoped` runs the calls in a scope of ScopedContextManager,
 * `after-scope` runs them outside scopes once a scope has come and gone (its hooks removed).
 * Modes take turns for BENCH_ROUNDS rounds; the ratios are of the medians.
 *
 *   npm run bench:als-toggle      (BENCH_ROUNDS=5, BENCH_CALLS=3000000 awaited calls per run)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { ScopedContextManager } from '@meridian/telemetry/scoped-context';
import { log, ratio } from './lib/load.js';
import { median } from './lib/interleave.js';

const MODES = ['never', 'on', 'toggled', 'scoped', 'after-scope'] as const;
type Mode = (typeof MODES)[number];
const calls = Number(process.env.BENCH_CALLS ?? 3_000_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

async function leaf(i: number): Promise<number> {
  await null;
  return i + 1;
}

/** Five awaited calls per outer call, as a handler awaiting a few helpers does. */
async function work(n: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n / 5; i++) for (let k = 0; k < 5; k++) sum += await leaf(k);
  return sum;
}

/** In the child: ms for `calls` awaited calls in `mode`, after a warm-up. */
async function measure(mode: Mode): Promise<number> {
  if (mode === 'scoped' || mode === 'after-scope') {
    const manager = new ScopedContextManager();
    const context = ROOT_CONTEXT.setValue(createContextKey('bench'), 1);
    // A lone scope's hooks are removed as it settles.
    const measured = (n: number) => (mode === 'scoped' ? manager.run(context, () => work(n)) : work(n));
    if (mode === 'after-scope') await manager.run(context, async () => undefined);
    await measured(calls / 5);
    const started = performance.now();
    await measured(calls);
    return performance.now() - started;
  }
  const storage = new AsyncLocalStorage<number>();
  if (mode !== 'never') storage.run(1, () => undefined);
  if (mode === 'toggled') storage.disable();
  await work(calls / 5);
  const started = performance.now();
  await work(calls);
  return performance.now() - started;
}

const child = process.env.ALS_TOGGLE_MODE as Mode | undefined;
if (child) {
  process.stdout.write(String(await measure(child)));
} else {
  const times = new Map<Mode, number[]>(MODES.map((mode) => [mode, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const mode of round % 2 ? MODES : [...MODES].reverse()) {
      const ms = Number(execFileSync(process.execPath, [...process.execArgv, import.meta.filename], { env: { ...process.env, ALS_TOGGLE_MODE: mode }, encoding: 'utf8' }));
      times.get(mode)?.push(ms);
      log(`round ${round} of ${rounds}: ${mode} ${ms.toFixed(0)} ms for ${calls} awaited calls`);
    }
  }
  const [never, on, toggled, scoped, afterScope] = MODES.map((mode) => median(times.get(mode) ?? []));
  const overNever = (ms: number | undefined) => ratio(ms ?? NaN, never ?? NaN);
  console.log(JSON.stringify({ calls, rounds, msMedian: { never, on, toggled, scoped, afterScope }, onOverNever: overNever(on), toggledOverNever: overNever(toggled), scopedOverNever: overNever(scoped), afterScopeOverNever: overNever(afterScope) }, null, 2));
}
