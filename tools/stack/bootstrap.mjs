// @ts-check
// Runs before anything is installed, so it is plain JavaScript with no dependencies:
// install when needed, then hand over to the TypeScript stack CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const [major, minor] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 20 || (major === 20 && (minor ?? 0) < 19)) {
  process.stderr.write(`Meridian needs Node.js 20.19 or newer; this is ${process.version}. Install a newer Node.js and run the command again.\n`);
  process.exit(1);
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules/.package-lock.json');
const stale = !existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs);
if (stale) {
  process.stderr.write('Installing dependencies (npm ci)...\n');
  const result = spawnSync('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('npm could not install the dependencies (see above). Check your network access to the npm registry and run the command again.\n');
    process.exit(result.status ?? 1);
  }
}

const tsx = join(root, 'node_modules/.bin/tsx');
const result = spawnSync(tsx, [join(root, 'tools/stack/cli.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? (result.signal ? 1 : 0));
