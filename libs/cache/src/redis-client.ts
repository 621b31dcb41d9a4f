import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** A connection to a single Redis or to a Redis Cluster; both answer the same commands. */
export type RedisClient = Redis | Cluster;
/** Where Redis is: the configuration's REDIS_URL and cluster seed nodes (none for a single server). */
export interface RedisTarget {
  redisUrl: string;
  redisClusterNodes: readonly { host: string; port: number }[];
}

/**
 * Opens the Redis the configuration names: a single server from REDIS_URL, or a cluster from its
 * seed nodes, with REDIS_URL's credentials and TLS on every node. `options` are a single
 * client's; for a cluster the per-connection ones go to each node and the rest to the cluster.
 */
export function connectRedis(where: RedisTarget | string, options: RedisOptions = {}): RedisClient {
  // A bare URL (tools, tests) names a single server.
  const target = typeof where === 'string' ? { redisUrl: where, redisClusterNodes: [] } : where;
  if (target.redisClusterNodes.length === 0) return new Redis(target.redisUrl, options);
  const url = new URL(target.redisUrl);
  const { enableOfflineQueue, retryStrategy, lazyConnect, ...perNode } = options;
  const cluster: ClusterOptions = {
    enableOfflineQueue,
    lazyConnect,
    clusterRetryStrategy: retryStrategy ? (attempt) => retryStrategy(attempt) : undefined,
    redisOptions: {
      ...perNode,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      tls: url.protocol === 'rediss:' ? {} : undefined,
    },
  };
  const client = new Cluster([...target.redisClusterNodes], cluster);
  // ioredis connects to each node on its first command; connecting all of them once the slots
  // are known keeps that wait out of the first requests (the cache gives Redis 50 ms).
  client.on('ready', () => {
    for (const node of client.nodes('all')) node.ping().catch(() => undefined);
  });
  return client;
}

/** The servers holding the data: every master of a cluster, or the one server. */
export function dataNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** A client of its own (a blocking read, a subscription) to the same Redis, with other options. */
export function duplicateClient(client: RedisClient, options: RedisOptions): RedisClient {
  if (!(client instanceof Cluster)) return client.duplicate(options);
  const { enableOfflineQueue, ...perNode } = options;
  return client.duplicate(undefined, { ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }), redisOptions: { ...client.options.redisOptions, ...perNode } });
}

// What ioredis says when Redis cannot be reached: refused, dropped, not writable while offline,
// out of retries, or a command past its timeout.
const UNAVAILABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|Stream isn't writeable|enableOfflineQueue|max retries|MaxRetriesPerRequest|Command timed out|Cluster isn't ready|CLUSTERDOWN|TRYAGAIN/;

/** Whether an error means Redis is away (retry later), as opposed to a failure of the command itself. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return UNAVAILABLE.test(`${typeof code === 'string' ? code : ''} ${error.name} ${error.message}`);
}
