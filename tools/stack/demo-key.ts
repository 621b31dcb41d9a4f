import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const KEYS_CLI = 'apps/gateway/src/cli/keys.ts';

function keys(root: string, args: string[]) {
  return spawnSync(join(root, 'node_modules/.bin/tsx'), [join(root, KEYS_CLI), ...args], { cwd: root, encoding: 'utf8' });
}

/**
 * A local key for tenant `demo` with every scope, kept in tmp/demo-key (git-ignored) and reused
 * while it is still active, so each `npm start` does not mint another one.
 */
export function ensureDemoKey(root: string): string {
  const file = join(root, 'tmp/demo-key');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (keys(root, ['check', saved]).status === 0) return saved;
  }
  const created = keys(root, ['create', '--tenant', 'demo', '--scopes', 'read,write,admin', '--name', 'npm start demo key']);
  if (created.status !== 0) throw new Error(`could not create the demo API key: ${created.stderr.trim()}`);
  const key = created.stdout.trim();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`);
  chmodSync(file, 0o600);
  return key;
}
