/**
 * The migration command each app bundle ships as migrate.js, with the SQL files beside it in
 * migrations/. A deployment runs it once before a rollout:
 *
 *   node migrate.js           applies what is pending, then exits
 *   node migrate.js --wait    applies nothing; waits until nothing is pending (an init container
 *                             holding a new version back until the migration job has run)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describeConfigError, urlSetting } from '@meridian/config';
import { migrate, pendingMigrations } from './migrate.js';

const dir = process.env.MIGRATIONS_DIR ?? fileURLToPath(new URL('./migrations', import.meta.url));
const log = (message: string) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message })}\n`);

try {
  // Only the database matters here: the services' other settings (secrets, ports) are not required.
  const databaseUrl = urlSetting(process.env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/meridian', ['postgres', 'postgresql']);
  if (process.argv.includes('--wait')) {
    const timeoutS = Number(process.env.MIGRATIONS_WAIT_S ?? 600);
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const pending = await pendingMigrations({ databaseUrl, dir }).catch((error: Error) => [`(database not reachable: ${error.message})`]);
      if (pending.length === 0) break;
      if (Date.now() > deadline) throw new Error(`still pending after ${timeoutS} s: ${pending.join(', ')}. Run the migration job (node migrate.js) or raise MIGRATIONS_WAIT_S`);
      log(`waiting for migrations: ${pending.join(', ')}`);
      await sleep(2_000);
    }
    log('schema is current');
  } else {
    const ran = await migrate({ databaseUrl, dir, log: (message) => log(message.trim()) });
    log(ran.length === 0 ? 'schema is current; nothing to apply' : `applied ${ran.length} migration(s): ${ran.join(', ')}`);
  }
} catch (error) {
  process.stderr.write(`${describeConfigError(error) ?? `migration failed: ${(error as Error).message}`}\n`);
  process.exit(1);
}
