import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');

export interface LoadResult {
  rps: number;
  p50: number;
  /** autocannon reports no p95; p97.5 bounds it from above. */
  p97_5: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p97_5: number; p99: number };
  non2xx: number;
  errors: number;
  statusCodeStats?: Record<string, { count: number }>;
}

/** Runs autocannon in its own process, so the load generator never shares an event loop with a server. */
export async function autocannon(url: string, options: { connections?: number; seconds?: number; rate?: number; headers?: Record<string, string>; signWith?: string; method?: string; body?: string }): Promise<LoadResult> {
  // A service called directly honours each signature once: signed-load.ts signs every request.
  const out = options.signWith
    ? await runJson(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'tools/bench/lib/signed-load.ts'), url, String(options.connections ?? 50), String(options.seconds ?? 10), String(options.rate ?? 0)], { BENCH_SIGN_SECRET: options.signWith })
    : await runJson(join(ROOT, 'node_modules/.bin/autocannon'), [
        '-j', '-c', String(options.connections ?? 50), '-d', String(options.seconds ?? 10),
        ...(options.rate ? ['-R', String(options.rate)] : []),
        ...(options.method ? ['-m', options.method] : []),
        ...(options.body ? ['-b', options.body] : []),
        ...Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
        url,
      ]);
  const json = JSON.parse(out) as AutocannonJson;
  return {
        rps: json.requests.average,
        p50: json.latency.p50,
        p97_5: json.latency.p97_5,
        p99: json.latency.p99,
        requests: json.requests.total,
        non2xx: json.non2xx,
        errors: json.errors,
    statusCodes: Object.fromEntries(Object.entries(json.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count])),
  };
}

/** A measured run, unless some of its requests failed: then its figures would mean nothing. */
export function succeeded(label: string | undefined, run: LoadResult | undefined): LoadResult {
  if (!run || run.non2xx > 0 || run.errors > 0) throw new Error(`${label}: ${run?.non2xx} non-2xx, ${run?.errors} errors`);
  return run;
}

/** Runs a command and returns the JSON object it prints last on stdout. */
export function runJson(command: string, argv: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${command} failed (${code}): ${err}`));
      resolvePromise(out.slice(out.lastIndexOf('\n{') + 1));
    });
  });
}

export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
export const ratio = (a: number, b: number) => (b === 0 ? NaN : Math.round((a / b) * 100) / 100);
