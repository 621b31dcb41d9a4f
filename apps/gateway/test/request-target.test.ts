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
    ['/v1/%41%2D%2e%5F%7e%7Ex', '/v1/A-._~~x'],
    ['/v1/a%3ab%3A', '/v1/a%3Ab%3A'],
    ['/v1/x?path=%2f..//a&b=%zz', '/v1/x?path=%2f..//a&b=%zz'],
    ['?a=1', '/?a=1'],
    ['/', '/'],
    ['/v1/...', '/v1/...'],
    ['/v1/.x/..y', '/v1/.x/..y'],
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
    ['/v1/%2E%2E', 'dot segments'],
    ['/v1/..', 'dot segments'],
    ['/v1/%2e/x', 'dot segments'],
    ['/v1/x%', 'malformed percent-escape'],
    ['/v1/x%g0', 'malformed percent-escape'],
    ['*', 'must be a path'],
  ])('refuses %s (%s)', (target, reason) => {
    const result = normaliseTarget(target);
    expect(result).toHaveProperty('refused');
    expect((result as { refused: string }).refused).toContain(reason);
  });

  it('words each refusal for the client', () => {
    expect(normaliseTarget('v1/x')).toEqual({ refused: 'the request target must be a path starting with /' });
    expect(normaliseTarget('/v1\\x')).toEqual({ refused: 'a backslash is not allowed in the path' });
    expect(normaliseTarget('/v1/%zz')).toEqual({ refused: 'the path has a malformed percent-escape' });
    expect(normaliseTarget('/v1/%2F')).toEqual({ refused: 'an encoded slash or backslash is not allowed in the path' });
    expect(normaliseTarget('/v1/%5c')).toEqual({ refused: 'an encoded slash or backslash is not allowed in the path' });
    expect(normaliseTarget('/v1/../x')).toEqual({ refused: 'dot segments (. and ..) are not allowed in the path' });
  });
});
