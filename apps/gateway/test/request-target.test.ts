import { describe, expect, it } from 'vitest';
import { normaliseTarget } from '../src/request-target/index.js';

describe('the normalised request target', () => {
  it.each([
    ['/v1/instruments?limit=5', '/v1/instruments?limit=5'],
    ['/%761/instruments', '/v1/instruments'],
    ['/v1/%6Donitor/services', '/v1/monitor/services'],
    ['/v1/%6donitor/services', '/v1/monitor/services'],
    ['/v1/bars?symbol=%41', '/v1/bars?symbol=%41'],
    ['/v1/instruments/S%20P', '/v1/instruments/S%20P'],
    ['/v1/instruments/S%2bP', '/v1/instruments/S%2BP'],
    ['//v1///instruments', '/v1/instruments'],
    ['http://x/v1/instruments', '/v1/instruments'],
    ['HTTPS://user@host:8080/v1/jobs/a?b=1', '/v1/jobs/a?b=1'],
    ['http://x', '/'],
    ['http://x?a=1', '/?a=1'],
    ['/v1/instruments;x=1', '/v1/instruments;x=1'],
  ])('reads %s as %s', (target, expected) => {
    expect(normaliseTarget(target)).toEqual({ url: expected });
  });

  it.each([
    ['/v1/instruments%2fSPX', 'encoded slash'],
    ['/v1/instruments%5CSPX', 'encoded slash or backslash'],
    ['/v1\\instruments', 'backslash'],
    ['/v1/../v1/monitor/services', 'dot segments'],
    ['/v1/%2e%2e/monitor', 'dot segments'],
    ['/v1/./instruments', 'dot segments'],
    ['/v1/instruments%zz', 'malformed percent-escape'],
    ['/v1/instruments%4', 'malformed percent-escape'],
    ['v1/instruments', 'must be a path'],
  ])('refuses %s (%s)', (target, reason) => {
    const result = normaliseTarget(target);
    expect(result).toHaveProperty('refused');
    expect((result as { refused: string }).refused).toContain(reason);
  });
});
