import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { SERVICE_NAMES } from '@meridian/config';
import { migrate } from '@meridian/db/migrate';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll } from 'vitest';
import { createKeyWithCli } from '@meridian/tools/stack/api-key';
import { builtProcesses, type RunningStack, startProcesses, waitLive } from '@meridian/tools/stack/processes';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The environment for a whole stack on free ports, with the test's own database and Redis prefix. */
export async function stackEnv(ctx: TestContext, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const ports = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (name) => [`${name.toUpperCase()}_PORT`, String(await freePort())])));
  return { ...process.env, ...ctx.env(), ...ports, LOG_LEVEL: 'warn', ...extra } as Record<string, string>;
}

/** Runs every built service as a real process, the way `npm start` does. */
export async function startStack(
  env: Record<string, string>,
  services: readonly string[] = SERVICE_NAMES,
  onLine?: (name: string, line: string) => void,
): Promise<{ stack: RunningStack; url: (s: string) => string }> {
  await migrate({ databaseUrl: env.DATABASE_URL as string });
  const url = (service: string) => `http://127.0.0.1:${env[`${service.toUpperCase()}_PORT`]}`;
  const stack = startProcesses(builtProcesses(ROOT, services), env, { onLine });
  // Generous: with tracing on, each process loads the SDK first, and other e2e files start
  // stacks of their own at the same time on a 2-core machine.
  const missing = await waitLive(services.map(url), 45_000);
  if (missing.length > 0) {
    await stack.stop();
    throw new Error(`services did not come up: ${missing.join(', ')}`);
  }
  return { stack, url };
}

/** Runs one bundle alone and collects its output and exit code. */
export function runBundle(app: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps', app, 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => output };
}

export { createKeyWithCli };

export interface FileStack {
  ctx: TestContext;
  env: Record<string, string>;
  stack: RunningStack;
  url: (service: string) => string;
  /** `Authorization: Bearer <key>` for a key of the file's tenant and scopes. */
  auth: Record<string, string>;
}

/**
 * A stack of `services` for one test file: started with its own empty database before the file's
 * tests, with an API key for `tenant` holding `scopes`, and stopped after them.
 */
export function stackForFile(tenant: string, scopes: string, services: readonly string[] = SERVICE_NAMES, extraEnv: Record<string, string> = {}): FileStack {
  const file = {} as FileStack;
  beforeAll(async () => {
    file.ctx = await createTestContext({ emptyDatabase: true });
    file.env = await stackEnv(file.ctx, extraEnv);
    ({ stack: file.stack, url: file.url } = await startStack(file.env, services));
    file.auth = { authorization: `Bearer ${createKeyWithCli(file.env, tenant, scopes).trim()}` };
  });
  afterAll(async () => {
    await file.stack?.stop();
    await file.ctx?.cleanup();
  });
  return file;
}

