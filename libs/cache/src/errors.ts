export class CacheTimeoutError extends Error {
  constructor(key: string, ms: number) {
    super(`The value for "${key}" was not ready within ${ms} ms and no stale copy was kept.`);
    this.name = 'CacheTimeoutError';
  }
}
