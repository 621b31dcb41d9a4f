import type { Pools } from '@meridian/db';
import { dataNodes, type RedisClient } from '@meridian/cache';
import type { Figure } from '../figures.js';

/** Redis INFO: memory, clients, evictions and keys of the whole server, summed over a cluster's masters. */
export async function redisFigures(redis: RedisClient): Promise<Figure[]> {
  const infos = await Promise.all(dataNodes(redis).map((node) => node.info()));
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const field = (name: string) => sum(infos.map((info) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? Number.NaN)));
  const keys = sum(infos.flatMap((info) => [...info.matchAll(/^db\d+:keys=(\d+)/gm)].map((match) => Number(match[1]))));
  return [
    { name: 'redis_used_memory_bytes', labels: {}, value: field('used_memory') },
    { name: 'redis_connected_clients', labels: {}, value: field('connected_clients') },
    { name: 'redis_evicted_keys', labels: {}, value: field('evicted_keys') },
    { name: 'redis_keys', labels: {}, value: keys },
  ].filter((figure) => Number.isFinite(figure.value));
}

/** Postgres: the database's size on disk, its buffer cache hit ratio and dead tuples. */
export async function postgresFigures(db: Pools): Promise<Figure[]> {
  const { rows } = await db.write.query<{ bytes: string; hit: number | null; dead: string }>({
    name: 'monitor.postgres',
    text: `SELECT pg_database_size(current_database())::text AS bytes,
                  (SELECT sum(blks_hit)::float8 / NULLIF(sum(blks_hit) + sum(blks_read), 0) FROM pg_stat_database WHERE datname = current_database()) AS hit,
                  (SELECT coalesce(sum(n_dead_tup), 0)::text FROM pg_stat_user_tables) AS dead`,
  });
  const row = rows[0];
  if (!row) return [];
  return [
    { name: 'pg_database_bytes', labels: {}, value: Number(row.bytes) },
    ...(row.hit === null ? [] : [{ name: 'pg_buffer_hit_ratio', labels: {}, value: row.hit }]),
    { name: 'pg_dead_tuples', labels: {}, value: Number(row.dead) },
  ];
}

export interface TableSize {
  table: string;
  tableBytes: number;
  indexBytes: number;
  rows: number;
  deadTuples: number;
}

/** The largest tables (a partitioned one as a whole) with their indexes' size, live and dead rows: where the disk goes. */
export async function tableSizes(db: Pools, limit = 15): Promise<TableSize[]> {
  const { rows } = await db.read.query<{ table: string; tableBytes: string; indexBytes: string; rows: string; deadTuples: string }>({
    name: 'monitor.table_sizes',
    // A partitioned table's partitions are summed under its name.
    text: `SELECT coalesce(pg_partition_root(relid), relid)::regclass::text AS "table", sum(pg_table_size(relid))::text AS "tableBytes",
                  sum(pg_indexes_size(relid))::text AS "indexBytes", sum(n_live_tup)::text AS rows, sum(n_dead_tup)::text AS "deadTuples"
           FROM pg_stat_user_tables GROUP BY 1 ORDER BY sum(pg_total_relation_size(relid)) DESC LIMIT $1`,
    values: [limit],
  });
  return rows.map((r) => ({ table: r.table, tableBytes: Number(r.tableBytes), indexBytes: Number(r.indexBytes), rows: Number(r.rows), deadTuples: Number(r.deadTuples) }));
}
