import fastifyPostgres, { type PostgresDb } from '@fastify/postgres';
import type pg from 'pg';
import { type Pools, poolOptions, QueryLog, waitForReplica } from '@meridian/db';
import fp from 'fastify-plugin';
import { DatabaseOutage } from '../database-outage.js';
import type {} from './config.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Pools;
    /** Tells a failure for lack of the database from others, and logs each outage once. */
    databaseOutage: DatabaseOutage;
    /**
     * Resolves once the read replica has replayed what the primary has written so far (at once
     * without a replica), or after DATABASE_REPLICA_WAIT_MS with a warning.
     */
    replicaCaughtUp(): Promise<void>;
  }
}

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const poolNamed = (instances: Record<string, PostgresDb | undefined>, name: string): pg.Pool => {
  const db = instances[name];
  if (!db) throw new Error(`@fastify/postgres registered no pool named ${name}`);
  return db.pool;
};

/**
 * The process's two pg pools as @fastify/postgres instances named `write` and `read` (one pool
 * when both point at the same database with the same size), closed with the app. `app.db` hands
 * them to repositories together with the slow-query log that times every query on both.
 */
export const pools = fp(
  async (app, { applicationName }: { applicationName: string }) => {
    const { database } = app.config;
    await app.register(fastifyPostgres, { name: 'write', ...poolOptions(database.url, database.poolMax, database, applicationName) });
    const shared = database.readUrl === database.url && database.readPoolMax === database.poolMax;
    if (!shared) await app.register(fastifyPostgres, { name: 'read', ...poolOptions(database.readUrl, database.readPoolMax, database, `${applicationName}-read`) });
    const write = poolNamed(app.pg, 'write');
    const read = shared ? write : poolNamed(app.pg, 'read');
    const queries = new QueryLog(database.slowQueryMs, app.log);
    for (const pool of new Set([write, read])) {
      // An idle client losing its connection must not crash the process; the pool replaces it.
      pool.on('error', () => undefined);
      queries.watch(pool);
    }
    app.decorate('db', { write, read, queries } satisfies Pools);
    // Read-your-writes with a replica: a successful write answers once the replica has it, so
    // whatever the client reads next (from the replica) includes it.
    const replica = database.readUrl !== database.url;
    let lagging = false;
    app.decorate('replicaCaughtUp', async () => {
      if (!replica) return;
      // A replica that cannot be asked is as good as behind: the write stands, the response goes out.
      const caughtUp = await waitForReplica({ write, read }, database.replicaWaitMs).catch(() => false);
      if (caughtUp === lagging) app.log[caughtUp ? 'info' : 'warn']({ waitedMs: database.replicaWaitMs }, caughtUp ? 'read replica caught up again' : 'read replica is behind: writes answer before it has them, and reads may miss them');
      lagging = !caughtUp;
    });
    if (replica) {
      app.addHook('onSend', async (request, reply, payload) => {
        if (MUTATIONS.has(request.method) && reply.statusCode < 400) await app.replicaCaughtUp();
        return payload;
      });
    }
    const outage = new DatabaseOutage(write, app.log);
    app.decorate('databaseOutage', outage);
    app.addHook('onClose', async () => outage.stop());
  },
  { name: 'meridian-pools', dependencies: ['meridian-config'] },
);
