import { ApiKeyRepository, createPools, type Scope } from '@meridian/db';
import type { TestContext } from '@meridian/service/testing';
import { generateKey } from '../src/auth/api-key.js';

/** Inserts a key the way the CLI does and returns it. */
export async function createKey(ctx: TestContext, tenant: string, scopes: Scope[]): Promise<{ key: string; prefix: string }> {
  const pools = createPools(ctx.config('gateway').database);
  try {
    const { key, prefix, hash } = generateKey();
    await new ApiKeyRepository(pools.write).insert({ prefix, hash, tenant, scopes });
    return { key, prefix };
  } finally {
    await pools.close();
  }
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
