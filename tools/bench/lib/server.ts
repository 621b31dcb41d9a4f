import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { waitLive } from '../../stack/processes.js';
import { log, ROOT } from './load.js';

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** Resident set size of the server process, in bytes. */
  rss(): number;
  stop(): Promise<void>;
}

/** Runs one built service as its own process, so its memory can be read from /proc. */
export async function startBuiltService(app: string, port: number, env: NodeJS.ProcessEnv): Promise<BenchServer> {
  const script = join(ROOT, 'dist/apps', app, 'main.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [script], { env: { ...env, [`${app.toUpperCase()}_PORT`]: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  if ((await waitLive([url], 20_000)).length > 0) {
    child.kill('SIGKILL');
    throw new Error(`${app} did not start on port ${port}`);
  }
  return {
    url,
    child,
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A synthetic minute-bar CSV of `rows` rows under tmp/bench, generated once and reused. */
export async function syntheticCsv(rows: number): Promise<string> {
  const dir = join(ROOT, 'tmp/bench');
  const file = join(dir, `minute-bars-${rows}.csv`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  log(`generating ${rows.toLocaleString('en-US')} synthetic minute bars into ${file}`);
  const partial = `${file}.partial`;
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'tools/data/generate.ts'), '--rows', String(rows), '--interval', '1m', '--seed', '42'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await pipeline(child.stdout, createWriteStream(partial));
  const code = await exited;
  if (code !== 0) throw new Error(`the generator failed (${code})`);
  renameSync(partial, file);
  return file;
}
