/**
 * Prints the images a change needs rebuilt: one line per app whose bundle the change can alter
 * (Nx's affected projects, through the workspace's dependency graph), as `meridian-<app>`.
 *
 *   npm run images:affected -- --base=origin/main        changes since that ref (committed or not)
 *   npm run images:affected -- --files=libs/market/src/series.ts
 *
 * Prints nothing when no image is affected; exits 1 when Nx cannot work it out.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export function affectedImages(args: readonly string[]): string[] {
  const apps = readdirSync(resolve(root, 'apps'));
  const output = execFileSync(resolve(root, 'node_modules/.bin/nx'), ['show', 'projects', '--affected', '--type=app', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  });
  const projects = new Set(output.split('\n').map((line) => line.trim()));
  return apps.filter((app) => projects.has(`@meridian/${app}`)).map((app) => `meridian-${app}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  if (!args.some((arg) => /^--(base|files)(=|$)/.test(arg))) {
    process.stderr.write('usage: npm run images:affected -- --base=<git ref> [--head=<git ref>] | --files=<path,path>\n');
    process.exit(2);
  }
  try {
    for (const image of affectedImages(args)) process.stdout.write(`${image}\n`);
  } catch (error) {
    process.stderr.write(`could not work out the affected apps: ${(error as Error).message}\nIs the base ref fetched (git fetch origin main)?\n`);
    process.exit(1);
  }
}
