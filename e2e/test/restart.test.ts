import { migrate } from '@meridian/db/migrate';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import { builtProcesses, startProcesses, waitLive } from '@meridian/tools/stack/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, stackEnv } from './stack.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ emptyDatabase: true });
});
afterAll(() => ctx.cleanup());

describe('npm start, when one of its processes dies', () => {
  it('starts it again, with the rest of the stack still serving, and stops only when it keeps crashing', async () => {
    // info: the worker says when it is ready.
    const env = await stackEnv(ctx, { LOG_LEVEL: 'info' });
    await migrate({ databaseUrl: env.DATABASE_URL as string });
    const ready: string[] = [];
    const stack = startProcesses(builtProcesses(ROOT, ['gateway', 'signals']), env, {
      restart: { maxRestarts: 2, windowMs: 60_000 },
      onLine: (name, line) => {
        if (name === 'signals:worker' && line.includes('signals workers ready')) ready.push(line);
      },
    });
    let failure: string | undefined;
    void stack.failed.then((message) => (failure = message));
    const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`;
    try {
      expect(await waitLive([gateway, `http://127.0.0.1:${env.SIGNALS_PORT}`], 45_000)).toEqual([]);
      await expect.poll(() => ready.length, { timeout: 30_000 }).toBe(1);

      // As an OOM killer would.
      const first = stack.pid('signals:worker') as number;
      process.kill(first, 'SIGKILL');
      await expect.poll(() => ready.length, { timeout: 30_000, interval: 200 }).toBe(2);
      expect(stack.pid('signals:worker')).not.toBe(first);
      expect((await fetch(`${gateway}/health/live`)).status).toBe(200);
      expect(failure).toBeUndefined();

      // Two more deaths within the window: it keeps crashing, and the stack says so.
      process.kill(stack.pid('signals:worker') as number, 'SIGKILL');
      await expect.poll(() => ready.length, { timeout: 30_000, interval: 200 }).toBe(3);
      process.kill(stack.pid('signals:worker') as number, 'SIGKILL');
      await expect.poll(() => failure, { timeout: 10_000, interval: 100 }).toMatch(/signals:worker exited 3 times within 60 s/);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
