import pg from 'pg';

/** How the time partitions of each intraday interval are cut; other intervals have none. */
const PERIODS: Readonly<Record<string, 'month' | 'year'>> = { '1m': 'month', '5m': 'year', '15m': 'year', '30m': 'year', '1h': 'year', '4h': 'year' };

export interface Partition {
  name: string;
  parent: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The time partition holding `ms` for the interval, or undefined when the interval is not split by time. */
export function partitionOf(interval: string, ms: number): Partition | undefined {
  const period = PERIODS[interval];
  if (!period) return undefined;
  const at = new Date(ms);
  const year = at.getUTCFullYear();
  const month = period === 'month' ? at.getUTCMonth() : 0;
  const from = Date.UTC(year, month, 1);
  const to = period === 'month' ? Date.UTC(year, month + 1, 1) : Date.UTC(year + 1, 0, 1);
  const parent = `bars_p_${interval}`;
  return { name: period === 'month' ? `${parent}_${year}_${pad(month + 1)}` : `${parent}_${year}`, parent, from, to };
}

/** Every time partition [fromMs, toMs] touches, oldest first. */
export function partitionsBetween(interval: string, fromMs: number, toMs: number): Partition[] {
  const out: Partition[] = [];
  for (let partition = partitionOf(interval, fromMs); partition && partition.from <= toMs; partition = partitionOf(interval, partition.to)) out.push(partition);
  return out;
}

/**
 * Makes sure the time partitions an upload's rows [fromMs, toMs] fall into exist. A missing one is
 * created on a connection of its own, committed at once: created inside the upload's transaction
 * it would hold a lock on the interval's partitions for as long as the upload lasts. Creating a
 * table and attaching it takes only a lock that reads and writes of other partitions pass.
 */
export async function ensurePartitions(client: pg.ClientBase, database: pg.ClientConfig, interval: string, fromMs: number, toMs: number): Promise<void> {
  const wanted = partitionsBetween(interval, fromMs, toMs);
  if (wanted.length === 0) return;
  // One catalog look-up per batch of rows: cheap, and never wrong about a partition retention dropped.
  const { rows } = await client.query<{ name: string }>({ name: 'bars.partitions.existing', text: 'SELECT relname AS name FROM pg_class WHERE relname = ANY ($1)', values: [wanted.map((p) => p.name)] });
  const existing = new Set(rows.map((row) => row.name));
  const missing = wanted.filter((p) => !existing.has(p.name));
  if (missing.length === 0) return;
  const creator = new pg.Client(database);
  await creator.connect();
  try {
    for (const partition of missing) {
      await creator.query('BEGIN');
      // One creator at a time per partition: a concurrent upload of the same month waits, then finds it.
      await creator.query('SELECT pg_advisory_xact_lock(hashtext($1))', [partition.name]);
      const exists = await creator.query('SELECT 1 FROM pg_class WHERE relname = $1', [partition.name]);
      if (exists.rowCount === 0) {
        const from = new Date(partition.from).toISOString();
        const to = new Date(partition.to).toISOString();
        // Names and bounds come from partitionOf, never from a request.
        await creator.query(`CREATE TABLE ${partition.name} (LIKE ${partition.parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
        await creator.query(`ALTER TABLE ${partition.parent} ATTACH PARTITION ${partition.name} FOR VALUES FROM ('${from}') TO ('${to}')`);
      }
      await creator.query('COMMIT');
    }
  } catch (error) {
    await creator.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await creator.end();
  }
}
