import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfigError, loadConfig } from '../src/index.js';

describe('loadConfig', () => {
  it('serves a local machine with no environment at all', () => {
    const config = loadConfig('signals', {});
    expect(config.port).toBe(3001);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/meridian');
    expect(config.database.readUrl).toBe(config.database.url);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.upstreams.backtest).toBe('http://127.0.0.1:3002');
    expect(config.otlpEndpoint).toBeUndefined();
  });

  it('reads how long each interval of bars is kept, and keeps everything when told nothing', () => {
    expect(loadConfig('signals', {}).barsRetentionDays).toEqual({});
    expect(loadConfig('signals', { BARS_RETENTION: '1m=730d, 1h=3650d' }).barsRetentionDays).toEqual({ '1m': 730, '1h': 3650 });
    expect(() => loadConfig('signals', { BARS_RETENTION: '1m=2y' })).toThrow(/BARS_RETENTION must be interval=days pairs such as "1m=730d,5m=365d", got "1m=2y"/);
  });

  it('derives upstream URLs from the service ports and lets the read pool differ', () => {
    const config = loadConfig('gateway', {
      SIGNALS_PORT: '4001',
      DATABASE_URL: 'postgresql://w@db/x',
      DATABASE_READ_URL: 'postgresql://r@replica/x',
    });
    expect(config.upstreams.signals).toBe('http://127.0.0.1:4001');
    expect(config.database.readUrl).toBe('postgresql://r@replica/x');
  });

  it.each([
    [{ SIGNALS_PORT: 'abc' }, 'SIGNALS_PORT must be a whole number from 0 to 65535, got "abc"'],
    [{ SIGNALS_PORT: '70000' }, 'SIGNALS_PORT must be a whole number'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must use postgres or postgresql'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL must be a URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ INTERNAL_AUTH_SECRET: 'short' }, 'INTERNAL_AUTH_SECRET must be at least 32 characters'],
    [{ NODE_ENV: 'production' }, 'INTERNAL_AUTH_SECRET is required but not set'],
    [{ NODE_ENV: 'production', INTERNAL_AUTH_SECRET: 's'.repeat(40) }, 'METRICS_TOKEN is required but not set'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 32 characters'],
    [{ NODE_ENV: 'production', INTERNAL_AUTH_SECRET: 'meridian-local-development-secret-not-for-production' }, 'INTERNAL_AUTH_SECRET is a published value'],
    [{ INTERNAL_AUTH_SECRET: 'meridian-local-development-secret-not-for-production' }, 'INTERNAL_AUTH_SECRET is a published value'],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadConfig('signals', env)).toThrow(ConfigError);
    expect(() => loadConfig('signals', env)).toThrow(message);
  });

  it('without INTERNAL_AUTH_SECRET outside production, makes a random secret per process instead of a known one', () => {
    const [a, b] = [loadConfig('signals', {}), loadConfig('gateway', {})];
    expect(a.internalSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(b.internalSecret).not.toBe(a.internalSecret);
    expect(loadConfig('signals', { INTERNAL_AUTH_SECRET: 's'.repeat(40) }).internalSecret).toBe('s'.repeat(40));
  });

  it('refuses a gateway whose upstream is the gateway itself', () => {
    expect(() => loadConfig('gateway', { GATEWAY_PORT: '3904', MONITOR_PORT: '3904' })).toThrow(/MONITOR_URL.*points at the gateway itself/);
    expect(() => loadConfig('gateway', { GATEWAY_PORT: '3904', SIGNALS_URL: 'http://localhost:3904' })).toThrow(/SIGNALS_URL/);
    // A service's own config does not care where the gateway listens.
    expect(loadConfig('monitor', { GATEWAY_PORT: '3904', MONITOR_PORT: '3904' }).port).toBe(3904);
  });

  it('explains a config error in one line that says what to fix', () => {
    let line: string | undefined;
    try {
      loadConfig('signals', { REDIS_URL: 'http://x' });
    } catch (error) {
      line = describeConfigError(error);
    }
    expect(line).toBe('Invalid configuration: REDIS_URL must use redis or rediss, got "http". Fix the environment variable REDIS_URL and start again.');
    expect(line).not.toContain('\n');
    expect(describeConfigError(new Error('other'))).toBeUndefined();
  });
});
