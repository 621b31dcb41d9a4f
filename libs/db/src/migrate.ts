import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));
const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrateOptions {
  databaseUrl: string;
  direction?: 'up' | 'down';
  /** How many migrations to apply or revert; all pending for up, one for down. */
  count?: number;
  /** The folder of SQL migrations; the library's own by default (a bundle ships a copy beside it). */
  dir?: string;
  log?: (message: string) => void;
}

/** Applies (or reverts) the versioned SQL migrations; returns the names it ran. */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const direction = options.direction ?? 'up';
  const ran = await runner({
    databaseUrl: options.databaseUrl,
    dir: options.dir ?? MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction,
    count: options.count ?? (direction === 'up' ? Infinity : 1),
    checkOrder: true,
    singleTransaction: true,
    log: options.log ?? (() => undefined),
    verbose: false,
  });
  return ran.map((migration) => migration.name);
}

/** Migrations in `dir` the database has not applied yet (all of them before the first run). */
export async function pendingMigrations(options: { databaseUrl: string; dir?: string }): Promise<string[]> {
  const dir = options.dir ?? MIGRATIONS_DIR;
  const files = readdirSync(dir).filter((file) => file.endsWith('.sql')).map((file) => file.replace(/\.sql$/, '')).sort();
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const table = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [MIGRATIONS_TABLE]);
    if (!table.rows[0]?.found) return files;
    const applied = new Set((await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`)).rows.map((row) => row.name));
    return files.filter((name) => !applied.has(name));
  } finally {
    await client.end();
  }
}
