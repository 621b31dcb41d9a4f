import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR } from '../migrate.js';

/**
 * The server tests use. Override with TEST_DATABASE_URL; the database named there is only used
 * to create and drop the per-file databases, never written to.
 */
export const TEST_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let counter = 0;

function urlFor(database: string): string {
  const url = new URL(TEST_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Name of a template database holding the current migrations, keyed by their content. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) hash.update(file).update(readFileSync(join(MIGRATIONS_DIR, file)));
  return `meridian_tpl_${hash.digest('hex').slice(0, 16)}`;
}

async function ensureTemplate(): Promise<string> {
  const template = templateName();
  await withAdmin(async (admin) => {
    // Parallel test processes may race to build the same template: one builds, the rest wait.
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (found.rowCount === 0) {
        const building = `${template}_build_${process.pid}`;
        await admin.query(`DROP DATABASE IF EXISTS "${building}"`);
        await admin.query(`CREATE DATABASE "${building}"`);
        await migrate({ databaseUrl: urlFor(building) });
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
    }
  });
  return template;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file: migrated (cloned from a template) unless `empty`,
 * so parallel runs, a running stack and a developer's data never collide.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const template = options.empty ? undefined : await ensureTemplate();
  const name = `meridian_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await withAdmin((admin) => admin.query(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`));
  return {
    name,
    url: urlFor(name),
    drop: () => withAdmin((admin) => dropWhenIdle(admin, name)),
  };
}

/** Drops test databases left behind by test processes that no longer run. */
/**
 * Drops a test database once its connections are gone. A client that is still closing (some
 * libraries do not wait for their `end()`) would see a FATAL error if killed, so it gets two
 * seconds to leave before the drop is forced.
 */
async function dropWhenIdle(admin: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006') throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

export async function dropOrphanTestDatabases(): Promise<string[]> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'meridian\\_t\\_%' OR datname LIKE 'meridian\\_tpl\\_%\\_build\\_%'",
    );
    const dropped: string[] = [];
    for (const { datname } of rows) {
      const pid = Number(/_(?:t|build)_(\d+)/.exec(datname)?.[1]);
      if (Number.isInteger(pid) && !isAlive(pid)) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
        dropped.push(datname);
      }
    }
    return dropped;
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
export { PostgresServers, type PostgresServer } from './postgres-server.js';
