import type pg from 'pg';

export interface StatementRow {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
}

export type TopStatements =
  | { available: true; byTotal: StatementRow[]; byMean: StatementRow[] }
  | { available: false; reason: string };

const TOP = (order: string) => `SELECT query, calls::float8 AS calls, total_exec_time AS "totalMs", mean_exec_time AS "meanMs"
  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  ORDER BY ${order} DESC LIMIT $1`;

/**
 * The statements that cost the most in total and per call, from pg_stat_statements. Where the
 * extension is missing or not preloaded, says so (and how to enable it) instead of failing.
 */
export async function topStatements(pool: pg.Pool, limit = 10): Promise<TopStatements> {
  const installed = await pool.query({ name: 'pg_stat_statements.installed', text: "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'" });
  if (installed.rowCount === 0) {
    return { available: false, reason: "pg_stat_statements is not installed in this database: add it to shared_preload_libraries, restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements." };
  }
  try {
    const [byTotal, byMean] = await Promise.all([
      pool.query<StatementRow>({ name: 'pg_stat_statements.by_total', text: TOP('total_exec_time'), values: [limit] }),
      pool.query<StatementRow>({ name: 'pg_stat_statements.by_mean', text: TOP('mean_exec_time'), values: [limit] }),
    ]);
    return { available: true, byTotal: byTotal.rows, byMean: byMean.rows };
  } catch (error) {
    // Created but not preloaded: the view exists and every read of it fails.
    return { available: false, reason: `pg_stat_statements is installed but cannot be read: ${(error as Error).message}. Add it to shared_preload_libraries and restart PostgreSQL.` };
  }
}
