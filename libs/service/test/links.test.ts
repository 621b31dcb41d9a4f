import { describe, expect, it } from 'vitest';
import { linkGrants, parseLinkToken, signLink } from '../src/links.js';

const secret = 'a-secret-of-the-right-length-for-links-0123';
const caller = { tenant: 'acme', keyId: 'abcd1234' };
function token(url: string) {
  const parsed = parseLinkToken(new URL(url, 'http://x').searchParams.get('link') ?? '');
  if (!parsed) throw new Error(`no link token in ${url}`);
  return parsed;
}

describe('signed links', () => {
  const now = Date.UTC(2026, 0, 1);
  const { url, expiresAt } = signLink(secret, '/v1/backtests/bt-1/report', caller, { ttlS: 3600, now });

  it('grant the signed page and what lies under it, for the tenant of the key, until they expire', () => {
    const parsed = token(url);
    expect(parsed.keyId).toBe('abcd1234');
    expect(expiresAt.getTime()).toBe(now + 3_600_000);
    expect(linkGrants(secret, parsed, 'acme', '/v1/backtests/bt-1/report', now)).toMatchObject({ status: 'ok' });
    expect(linkGrants(secret, parsed, 'acme', '/v1/backtests/bt-1/report/chart.js', now)).toEqual({ status: 'ok', path: '/v1/backtests/bt-1/report' });
    expect(linkGrants(secret, parsed, 'acme', '/v1/backtests/bt-1/report', now + 3_600_000)).toMatchObject({ status: 'expired' });
  });

  it('grant nothing above or beside the page, to another tenant, or under another secret', () => {
    const parsed = token(url);
    expect(linkGrants(secret, parsed, 'acme', '/v1/backtests/bt-1', now)).toMatchObject({ status: 'invalid' });
    expect(linkGrants(secret, parsed, 'acme', '/v1/backtests/bt-2/report', now)).toMatchObject({ status: 'invalid' });
    expect(linkGrants(secret, parsed, 'globex', '/v1/backtests/bt-1/report', now)).toMatchObject({ status: 'invalid' });
    expect(linkGrants(`${secret}x`, parsed, 'acme', '/v1/backtests/bt-1/report', now)).toMatchObject({ status: 'invalid' });
  });

  it('cannot be stretched: a changed expiry breaks the signature', () => {
    const parsed = token(url);
    expect(linkGrants(secret, { ...parsed, expires: parsed.expires + 86_400 }, 'acme', '/v1/backtests/bt-1/report', now)).toMatchObject({ status: 'invalid' });
    expect(parseLinkToken('abcd1234.notanumber.sig')).toBeUndefined();
  });
});
