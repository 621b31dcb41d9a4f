/**
 * The stack CLI behind `npm start`, `npm run setup` and `npm test`.
 *
 *   npm start        install if needed, ensure Postgres and Redis, migrate, load demo data, build, run everything
 *   npm run setup    the same without running the services
 *   npm test         ensure Postgres and Redis, then lint, typecheck and every project's tests
 *   npm run stack -- migrate [down]   apply every pending migration, or revert the latest one
 */
import { loadConfig, SERVICE_NAMES } from '@meridian/config';
import { migrate } from '@meridian/db/migrate';
import { StackError } from './services.js';
import { setup, start } from './start.js';
import { runTests } from './test.js';

const commands: Record<string, () => Promise<number>> = {
  start,
  setup: async () => {
    await setup();
    return 0;
  },
  test: runTests,
  migrate: async () => {
    const direction = process.argv[3] === 'down' ? 'down' : 'up';
    const ran = await migrate({ databaseUrl: loadConfig('gateway').database.url, direction });
    console.error(ran.length > 0 ? `${direction === 'up' ? 'applied' : 'reverted'}: ${ran.join(', ')}` : 'nothing to do');
    return 0;
  },
};

const command = process.argv[2] ?? 'start';
const run = commands[command];
if (!run) {
  console.error(`Unknown command "${command}". Use one of: ${Object.keys(commands).join(', ')} (services: ${SERVICE_NAMES.join(', ')}).`);
  process.exit(2);
}
try {
  process.exitCode = await run();
} catch (error) {
  if (error instanceof StackError) {
    console.error(`\n${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
