import { describe, expect, it } from 'vitest';
import { requiredScope } from '../src/auth/scopes.js';

describe('the scope a request needs', () => {
  it.each([
    ['GET', '/v1/instruments', 'read'],
    ['HEAD', '/v1/monitor/alerts', 'read'],
    ['OPTIONS', '/v1/bars', 'read'],
    ['POST', '/v1/links', 'read'],
    ['POST', '/v1/links?x=1', 'read'],
    ['POST', '/v1/linksx', 'write'],
    ['POST', '/v1/links/x', 'write'],
    ['POST', '/v1/strategies/v1/links', 'write'],
    ['POST', '/v1/strategies', 'write'],
    ['DELETE', '/v1/backtests/b1', 'write'],
    ['POST', '/v1/instruments', 'admin'],
    ['PATCH', '/v1/instruments/SPX', 'admin'],
    ['POST', '/v1/bars?symbol=SPX', 'admin'],
    ['PUT', '/v1/bars;x', 'admin'],
    ['POST', '/v1/monitor', 'admin'],
    ['POST', '/v1/barsx', 'write'],
    ['POST', '/v1/monitoring', 'write'],
    ['POST', '/v2/monitor', 'write'],
  ])('%s %s needs %s', (method, url, scope) => {
    expect(requiredScope(method, url)).toBe(scope);
  });
});
