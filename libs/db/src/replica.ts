import { setTimeout as sleep } from 'node:timers/promises';
import type { Pools } from './pools.js';

/**
 * Waits until the server behind the read pool has replayed everything the primary had written
 * when this was called, so a read that follows sees what was just written. Returns false when
 * the replica is still behind after `timeoutMs`. Immediate when both pools are one: a primary
 * replays nothing (pg_last_wal_replay_lsn() is null there) and counts as caught up.
 */
export async function waitForReplica(pools: Pick<Pools, 'write' | 'read'>, timeoutMs: number): Promise<boolean> {
  if (pools.read === pools.write) return true;
  const written = await pools.write.query<{ lsn: string }>({ name: 'replica.primary-lsn', text: 'SELECT pg_current_wal_lsn()::text AS lsn' });
  const lsn = written.rows[0]?.lsn as string;
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    const replayed = await pools.read.query<{ caught: boolean }>({
      name: 'replica.caught-up',
      text: 'SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true) AS caught',
      values: [lsn],
    });
    if (replayed.rows[0]?.caught) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pause);
  }
}
