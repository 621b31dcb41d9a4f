import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from '@meridian/service/testing';
import type { RunningStack } from '../../stack/processes.js';
import { ROOT } from './load.js';

/**
 * The cached signals read every service benchmark loads, through the gateway: the tracing
 * benchmarks measure the same route as bench:signals, where tracing's share of the work is largest.
 */
export const HOT_SIGNALS_READ = '/v1/signals?symbol=SPX&rule=ma-cross&fast=20&slow=50';

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

/**
 * The environment of a benchmark's stack: the test context's own database and Redis prefix,
 * fixed ports away from a running `npm start`, production mode, no rate limit in the way.
 */
export function benchEnv(ctx: TestContext, ports: { gateway: number; signals: number }, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...ctx.env(),
    NODE_ENV: 'production',
    INTERNAL_AUTH_SECRET: BENCH_SECRET,
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(ports.gateway),
    SIGNALS_PORT: String(ports.signals),
    BACKTEST_PORT: String(ports.signals + 2),
    MONITOR_PORT: String(ports.signals + 3),
    RATE_LIMIT_READS_PER_MINUTE: '10000000',
    RATE_LIMIT_WRITES_PER_MINUTE: '10000000',
    ...extra,
  };
}

/**
 * An API key with every scope (benchmarks load shared market data, which is for admins), made
 * with the gateway's CLI against the bench database.
 */
export function createApiKey(env: NodeJS.ProcessEnv, tenant = 'bench'): Promise<string> {
  return new Promise<string>((resolveKey, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'apps/gateway/src/cli/keys.ts'), 'create', '--tenant', tenant, '--scopes', 'read,write,admin'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolveKey(out.trim()) : reject(new Error('keys create failed'))));
  });
}

/**
 * A check to call after each measurement: it throws if a process of the stack has exited (a port
 * already taken, say), so that a run never reports figures of a stack that lost a member.
 */
export function exitCheck(stack: RunningStack): () => void {
  let failure = '';
  void stack.failed.then((message) => (failure = message));
  return () => {
    if (failure) throw new Error(failure);
  };
}
