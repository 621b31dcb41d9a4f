import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A random secret of the local stack, made once and kept in tmp/<file> (git-ignored, readable by
 * its owner only); the variable, when set in the environment, wins. `INTERNAL_AUTH_SECRET`: what
 * the gateway signs with and the services verify. `METRICS_TOKEN`: the scrapers' credential for
 * /metrics and the health details (infra/prometheus-host.yml reads the same token).
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
