import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Creates an API key with the real CLI (npm run keys), as a user would, and returns the key it printed. */
export function createKeyWithCli(env: Record<string, string>, tenant: string, scopes: string): string {
  const result = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'apps/gateway/src/cli/keys.ts'), 'create', '--tenant', tenant, '--scopes', scopes], {
    env,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`keys create failed: ${result.stderr}`);
  return result.stdout.trim();
}
