import { dropOrphanTestDatabases, TEST_ADMIN_URL } from '@meridian/db/testing';
import { ensureServices } from '../stack/services.js';

/**
 * Runs once before a project's tests: the suite talks to the real Postgres and Redis, so a missing
 * one is a failure with instructions, never a skip.
 */
export default async function setup(): Promise<void> {
  await ensureServices({
    databaseUrl: TEST_ADMIN_URL,
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    log: (message) => process.stderr.write(`[test setup] ${message}\n`),
  });
  await dropOrphanTestDatabases();
}
