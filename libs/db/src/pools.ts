import pg from 'pg';
import type { DatabaseConfig } from '@meridian/config';

export interface Pools {
  /** Writes and reads that must see their own writes. */
  write: pg.Pool;
  /** Reads that tolerate replica lag: bars, results, listings. */
  read: pg.Pool;
  close(): Promise<void>;
}

function poolFor(url: string, max: number, config: DatabaseConfig, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: 5_000,
    statement_timeout: config.statementTimeoutMs || undefined,
    application_name: applicationName,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

export function createPools(config: DatabaseConfig, applicationName = 'meridian'): Pools {
  const write = poolFor(config.url, config.poolMax, config, applicationName);
  const read = config.readUrl === config.url && config.readPoolMax === config.poolMax
    ? write
    : poolFor(config.readUrl, config.readPoolMax, config, `${applicationName}-read`);
  let closing: Promise<void> | undefined;
  return {
    write,
    read,
    close() {
      closing ??= Promise.all([write.end(), read === write ? undefined : read.end()]).then(() => undefined);
      return closing;
    },
  };
}
