import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestContext, signedHeaders, type TestContext } from '@meridian/service/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@meridian/service/testing';
import { ROOT, runBundle } from './stack.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

describe('a service process', () => {
  it.each([
    ['SIGNALS_PORT', 'signals', 'not-a-port'],
    ['DATABASE_URL', 'signals', 'mysql://x'],
    ['LOG_LEVEL', 'gateway', 'shouty'],
  ])('exits 1 naming %s when it is malformed', async (variable, app, value) => {
    const run = runBundle(app, { ...ctx.env(), [variable]: value });
    expect(await run.exited).toBe(1);
    expect(run.output().trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^Invalid configuration: ${variable} must `))]);
  });

  it.each([
    ['the secret the docs once published', 'meridian-local-development-secret-not-for-production', 'is a published value'],
    ['a short secret', 'short-secret', 'must be at least 32 characters'],
  ])('refuses to start in production with %s', async (_name, secret, message) => {
    const run = runBundle('gateway', { ...ctx.env(), NODE_ENV: 'production', INTERNAL_AUTH_SECRET: secret });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`INTERNAL_AUTH_SECRET ${message}`);
  });

  it('says which port is taken instead of crashing with a stack', async () => {
    const busy = Fastify();
    const port = await freePort();
    await busy.listen({ host: '127.0.0.1', port });
    try {
      const run = runBundle('signals', { ...ctx.env(), SIGNALS_PORT: String(port) });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${port} on 127.0.0.1 is in use`);
    } finally {
      await busy.close();
    }
  });

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    // The monitor asks signals for readiness; a slow signals keeps that request in flight.
    const slowSignals = Fastify();
    slowSignals.get('/health/ready', async () => {
      await new Promise((r) => setTimeout(r, 700));
      return { status: 'ready', checks: {} };
    });
    const signalsUrl = await slowSignals.listen({ host: '127.0.0.1', port: 0 });
    const port = await freePort();
    const run = runBundle('monitor', { ...ctx.env(), MONITOR_PORT: String(port), SIGNALS_URL: signalsUrl, LOG_LEVEL: 'info' });
    try {
      await expect.poll(() => run.output(), { timeout: 10_000 }).toContain('Server listening');
      const config = ctx.config('monitor');
      const inFlight = fetch(`http://127.0.0.1:${port}/v1/monitor/services`, { headers: signedHeaders(config, 'GET', '/v1/monitor/services') });
      await expect.poll(() => run.output(), { timeout: 10_000 }).toContain('"url":"/v1/monitor/services"');
      run.child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      const { services } = (await res.json()) as { services: { name: string; status: string }[] };
      expect(services.find((s) => s.name === 'signals')?.status).toBe('ready');
      const code = await run.exited;
      expect(code).toBe(0);
      expect(run.output()).toContain('shutting down');
      expect(run.output()).toContain('"msg":"stopped"');
    } finally {
      run.child.kill('SIGKILL');
      await slowSignals.close();
    }
  });

  it('with tracing on, ends on its own once it has nothing left to do', async () => {
    // Nothing is sent: the script ends before any span could be.
    const child = spawn(process.execPath, ['--import', join(ROOT, 'dist/apps/signals/telemetry.js'), '--input-type=module', '-e', "console.log('done')"], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // A process kept alive by the tracing SDK would never exit: end it, and the test fails on its code.
    const stuck = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      expect(await exited).toBe(0);
      expect(output).toBe('done\n');
    } finally {
      clearTimeout(stuck);
    }
  });

  it('exits 1 at once on a second signal', async () => {
    const hang = Fastify({ forceCloseConnections: true });
    hang.get('/health/ready', () => new Promise(() => undefined));
    const hangUrl = await hang.listen({ host: '127.0.0.1', port: 0 });
    const port = await freePort();
    const run = runBundle('monitor', { ...ctx.env(), MONITOR_PORT: String(port), SIGNALS_URL: hangUrl, LOG_LEVEL: 'info' });
    try {
      await expect.poll(() => run.output(), { timeout: 10_000 }).toContain('Server listening');
      void fetch(`http://127.0.0.1:${port}/v1/monitor/services`, { headers: signedHeaders(ctx.config('monitor'), 'GET', '/v1/monitor/services') }).catch(() => undefined);
      // Logged as it arrives: from then on it waits for the hanging service's answer.
      await expect.poll(() => run.output(), { timeout: 10_000 }).toContain('"url":"/v1/monitor/services"');
      run.child.kill('SIGTERM');
      await expect.poll(() => run.output(), { timeout: 10_000 }).toContain('shutting down');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(1);
    } finally {
      run.child.kill('SIGKILL');
      await hang.close();
    }
  });
});
