import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NAMES } from '@meridian/config';
import { createTestDatabase, type TestDatabase } from '@meridian/db/testing';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { affectedImages } from '../../tools/build/affected-images.js';
import { ROOT } from './stack.js';

let ctx: TestContext;
let empty: TestDatabase;
const dirs: string[] = [];
beforeAll(async () => {
  ctx = await createTestContext();
  empty = await createTestDatabase({ empty: true });
});
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await empty?.drop();
  await ctx?.cleanup();
});

/**
 * What the image's last stage holds: the app's build output copied as is, and `npm ci
 * --omit=dev` over the lockfile the build cut for it. Offline: the packages come from the npm
 * cache the workspace's own install filled, as they would from the registry in the image.
 */
function imageDirectory(app: string): string {
  const dir = mkdtempSync(join(tmpdir(), `meridian-image-${app}-`));
  dirs.push(dir);
  cpSync(join(ROOT, 'dist/apps', app), dir, { recursive: true, filter: (source) => !source.endsWith('/node_modules') });
  execFileSync('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

function run(dir: string, args: string[], env: Record<string, string>) {
  // The image's environment: production, and nothing of the workspace on the module path.
  const child = spawn(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitForLive(port: number, exited: Promise<number | null>, output: () => string): Promise<Response> {
  const deadline = Date.now() + 30_000;
  let early: number | null | undefined;
  void exited.then((code) => (early = code));
  while (Date.now() < deadline) {
    if (early !== undefined) throw new Error(`exited ${early} before answering: ${output()}`);
    const response = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
    if (response) return response;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no answer on ${port} within 30 s: ${output()}`);
}

describe('an app image', () => {
  it.each(SERVICE_NAMES)('%s: the bundle runs from a folder holding only itself and its pruned dependencies', async (app) => {
    const dir = imageDirectory(app);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // Only what the bundle imports, not the workspace's packages or its tools.
    expect(Object.keys(manifest.dependencies)).not.toContain('vitest');
    expect(Object.keys(manifest.dependencies).some((name) => name.startsWith('@meridian/'))).toBe(false);
    expect(readdirSync(join(dir, 'node_modules'))).not.toContain('@meridian');
    expect(existsSync(join(dir, 'node_modules/typescript'))).toBe(false);

    const port = await freePort();
    const workerPort = await freePort();
    const env = {
      ...ctx.env(),
      [`${app.toUpperCase()}_PORT`]: String(port),
      WORKER_METRICS_PORT: String(workerPort),
      LOG_LEVEL: 'warn',
    };
    // The image's command: telemetry first, then the app.
    const service = run(dir, ['--enable-source-maps', '--import', './telemetry.js', 'main.js'], env);
    try {
      const live = await waitForLive(port, service.exited, service.output);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      // The image's HEALTHCHECK finds the same port from the same settings.
      const health = run(dir, ['health.js'], env);
      expect(await health.exited, health.output()).toBe(0);
    } finally {
      service.child.kill('SIGTERM');
      expect(await service.exited, service.output()).toBe(0);
    }
    // Nothing listens any more: the health check fails.
    expect(await run(dir, ['health.js'], env).exited).toBe(1);

    if (existsSync(join(dir, 'worker.js'))) {
      const worker = run(dir, ['--import', './telemetry.js', 'worker.js'], env);
      try {
        expect((await waitForLive(workerPort, worker.exited, worker.output)).status).toBe(200);
        expect(await run(dir, ['health.js', 'worker'], env).exited).toBe(0);
      } finally {
        worker.child.kill('SIGTERM');
        expect(await worker.exited, worker.output()).toBe(0);
      }
    }
  });

  it('migrates a database from its own copy of the migrations, and tells an init container when the schema is current', async () => {
    const dir = imageDirectory('gateway');
    const waiting = run(dir, ['migrate.js', '--wait'], { DATABASE_URL: empty.url, MIGRATIONS_WAIT_S: '60' });
    // The wait names what is pending until the migration has run.
    await expect.poll(() => waiting.output(), { timeout: 20_000 }).toMatch(/waiting for migrations: 0001_instruments/);
    const migrating = run(dir, ['migrate.js'], { DATABASE_URL: empty.url });
    expect(await migrating.exited, migrating.output()).toBe(0);
    expect(migrating.output()).toMatch(/applied \d+ migration\(s\): 0001_instruments/);
    expect(await waiting.exited, waiting.output()).toBe(0);
    expect(waiting.output()).toMatch(/schema is current/);
    const again = run(dir, ['migrate.js'], { DATABASE_URL: empty.url });
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/nothing to apply/);
  });
});

describe('images a change needs rebuilt', () => {
  it('a change in libs/market rebuilds signals and backtest, not the gateway or the monitor', () => {
    expect(affectedImages(['--files=libs/market/src/series.ts'])).toEqual(['meridian-backtest', 'meridian-signals']);
  });

  it('a change in the service kit rebuilds every image; one in an app only its own', () => {
    expect(affectedImages(['--files=libs/service/src/run.ts'])).toEqual(SERVICE_NAMES.map((app) => `meridian-${app}`).sort());
    expect(affectedImages(['--files=apps/gateway/src/main.ts'])).toEqual(['meridian-gateway']);
  });
});
