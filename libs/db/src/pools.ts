import pg from 'pg';
import type { DatabaseConfig } from '@meridian/config';
import { QueryLog, type QueryLogger } from './query-log.js';

export interface Pools {
  /** Writes and reads that must see their own writes. */
  write: pg.Pool;
  /** Reads that tolerate replica lag: bars, results, listings. */
  read: pg.Pool;
  /** Timings of every query on both pools, by name; slow ones are logged. */
  queries: QueryLog;
}

/** Pools made by createPools, which their maker closes. */
export interface OwnPools extends Pools {
  close(): Promise<void>;
}

/** The settings of one of Meridian's pools, from the database configuration. */
export function poolOptions(url: string, max: number, config: DatabaseConfig, applicationName: string): pg.PoolConfig {
  return {
    connectionString: url,
    max,
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: 5_000,
    statement_timeout: config.statementTimeoutMs || undefined,
    application_name: applicationName,
  };
}

function poolFor(url: string, max: number, config: DatabaseConfig, applicationName: string): pg.Pool {
  const pool = new pg.Pool(poolOptions(url, max, config, applicationName));
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Pools outside a Fastify app (CLIs, tools, tests); an app gets them from the service kit's pools plugin. */
export function createPools(config: DatabaseConfig, applicationName = 'meridian', logger?: QueryLogger): OwnPools {
  const write = poolFor(config.url, config.poolMax, config, applicationName);
  const read = config.readUrl === config.url && config.readPoolMax === config.poolMax
    ? write
    : poolFor(config.readUrl, config.readPoolMax, config, `${applicationName}-read`);
  const queries = new QueryLog(config.slowQueryMs, logger);
  queries.watch(write);
  if (read !== write) queries.watch(read);
  let closing: Promise<void> | undefined;
  return {
    write,
    read,
    queries,
    close() {
      closing ??= Promise.all([write.end(), read === write ? undefined : read.end()]).then(() => undefined);
      return closing;
    },
  };
}
