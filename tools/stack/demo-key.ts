import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

/**
 * A random secret of the local stack, made once and kept in tmp/<file> (git-ignored, readable by
 * its owner only); the variable, when set in the environment, wins. `INTERNAL_AUTH_SECRET`: what
 * the gateway signs with and the services verify. `METRICS_TOKEN`: the scrapers' credential for
 * /metrics and the health details (infra/prometheus.yml reads the same file).
 */
export function ensureStackSecret(root: string, variable: 'INTERNAL_AUTH_SECRET' | 'METRICS_TOKEN', file: string): string {
  const set = process.env[variable];
  if (set) return set;
  const path = join(root, 'tmp', file);
  if (existsSync(path)) {
    const saved = readFileSync(path, 'utf8').trim();
    if (saved.length >= 32) return saved;
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return secret;
}
