export { freePort } from './ports.js';
export { type RedisCluster, type RedisServer, startRedisCluster, startRedisServer } from './redis-servers.js';
