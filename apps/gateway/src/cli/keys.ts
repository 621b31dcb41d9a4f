/**
 * API keys for the gateway.
 *
 *   npm run keys -- create --tenant acme --scopes read,write [--name ci]
 *   npm run keys -- list [--tenant acme]
 *   npm run keys -- revoke <prefix or key>
 *   npm run keys -- check <key>
 *
 * `create` prints the new key alone on stdout, once; everything else goes to stderr, so
 * `KEY=$(npm run -s keys -- create ...)` captures just the key.
 */
import { parseArgs } from 'node:util';
import { describeConfigError, loadConfig } from '@meridian/config';
import { ApiKeyRepository, createPools, type Scope } from '@meridian/db';
import { createCache, createRedis, pingRedis } from '@meridian/service';
import { generateKey, hashKey, parseKey } from '../auth/api-key.js';
import { forgetKey } from '../auth/key-store.js';
import { ALL_SCOPES } from '../auth/scopes.js';

class UsageError extends Error {}

const say = (line: string) => process.stderr.write(`${line}\n`);

function parseScopes(raw: string | undefined): Scope[] {
  const scopes = (raw ?? 'read').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(ALL_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) throw new UsageError(`--scopes takes a comma-separated list of ${ALL_SCOPES.join(', ')}; got "${raw ?? ''}"`);
  return [...new Set(scopes)] as Scope[];
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { tenant: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } },
  });
  const [command, target] = positionals;
  const config = loadConfig('gateway');
  const pools = createPools(config.database, 'meridian-keys');
  const keys = new ApiKeyRepository(pools.write);
  try {
    switch (command) {
      case 'create': {
        const tenant = values.tenant;
        if (!tenant || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(tenant)) throw new UsageError('--tenant is required: lower-case letters, digits, ".", "_" or "-", up to 64 characters');
        const scopes = parseScopes(values.scopes);
        const { key, prefix, hash } = generateKey();
        await keys.insert({ prefix, hash, tenant, scopes, name: values.name });
        say(`Created key ${prefix} for tenant ${tenant} with scopes ${scopes.join(',')}. It is shown once; store it now.`);
        process.stdout.write(`${key}\n`);
        return 0;
      }
      case 'list': {
        const rows = await keys.list(values.tenant);
        if (rows.length === 0) say('No keys.');
        for (const row of rows) {
          const state = row.revokedAt ? `revoked ${row.revokedAt.toISOString()}` : 'active';
          const used = row.lastUsedAt ? row.lastUsedAt.toISOString() : 'never';
          process.stdout.write(`${row.prefix}\t${row.tenant}\t${row.scopes.join(',')}\t${state}\tlast used ${used}\t${row.name ?? ''}\n`);
        }
        return 0;
      }
      case 'revoke': {
        const prefix = target && (/^[0-9a-f]{8}$/.test(target) ? target : parseKey(target));
        if (!prefix) throw new UsageError('revoke takes a key prefix (8 hex characters, as `list` shows) or the whole key');
        const revoked = await keys.revoke(prefix);
        const redis = createRedis(config, { name: 'meridian-keys' });
        const cache = createCache(config, redis);
        try {
          const reachable = await pingRedis(redis).then(() => true, () => false);
          if (!reachable || !(await forgetKey(cache, prefix))) {
            say(`Redis is unreachable: gateways will notice the revocation within ${config.gateway.apiKeyCacheTtlMs / 1000} s instead of at once.`);
          }
        } finally {
          cache.close();
          redis.disconnect();
        }
        say(revoked ? `Revoked ${prefix}.` : `No active key ${prefix}; nothing changed.`);
        return revoked ? 0 : 1;
      }
      case 'check': {
        const prefix = target && parseKey(target);
        const row = prefix ? await keys.byPrefix(prefix) : undefined;
        const valid = row !== undefined && target !== undefined && row.hash.equals(hashKey(target)) && row.revokedAt === null;
        say(valid ? `Active key for tenant ${row.tenant} (${row.scopes.join(',')}).` : 'Not an active key.');
        return valid ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown command "${command ?? ''}"`);
    }
  } finally {
    await pools.close();
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    say(`keys: ${error.message}\nusage: npm run keys -- create --tenant <t> --scopes read,write[,admin] [--name <n>] | list [--tenant <t>] | revoke <prefix|key> | check <key>`);
    process.exitCode = 2;
  } else {
    say(describeConfigError(error) ?? `keys: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
