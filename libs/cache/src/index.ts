export { Cache, type CacheLogger, type CacheOptions, type CacheStats } from './cache.js';
export { CacheTimeoutError } from './errors.js';
export { Namespace, type Factory, type GetOrSetOptions } from './namespace.js';
export { NAMESPACE_DEFAULTS, type NamespaceOptions } from './namespaces.js';
export { hitRate, type NamespaceStats } from './stats.js';
export { RedisStore, type L2Store, type TagTimes } from './store.js';
export type { CodecName } from './codec.js';
export { connectRedis, dataNodes, duplicateClient, isRedisUnavailable, type RedisClient, type RedisTarget } from './redis-client.js';
