/**
 * Uploads a bar file through the gateway with a progress bar:
 *
 *   npm run -s data:load -- bars.csv --symbol SYN1 --interval 1m [--name "Synthetic 1"]
 *
 * The key comes from --key, MERIDIAN_API_KEY or tmp/demo-key (written by `npm start`); the
 * gateway from --gateway or GATEWAY_URL. A missing instrument is created first.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { megabytes } from '../lib/progress.js';
import { uploadFile } from '../lib/upload.js';

const root = resolve(import.meta.dirname, '../..');

class LoadError extends Error {}

function apiKey(explicit: string | undefined): string {
  const saved = join(root, 'tmp/demo-key');
  const key = explicit ?? process.env.MERIDIAN_API_KEY ?? (existsSync(saved) ? readFileSync(saved, 'utf8').trim() : undefined);
  if (!key) throw new LoadError('No API key: pass --key, set MERIDIAN_API_KEY, or run `npm start` once to create tmp/demo-key.');
  return key;
}

async function ensureInstrument(gateway: string, key: string, symbol: string, name: string): Promise<void> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const found = await fetch(`${gateway}/v1/instruments/${symbol}`, { headers });
  if (found.status === 200) return;
  if (found.status !== 404) throw new LoadError(`GET /v1/instruments/${symbol} answered ${found.status}: ${await found.text()}`);
  const created = await fetch(`${gateway}/v1/instruments`, { method: 'POST', headers, body: JSON.stringify({ symbol, name }) });
  if (!created.ok) throw new LoadError(`Could not create instrument ${symbol} (${created.status}): ${await created.text()}`);
  process.stderr.write(`created instrument ${symbol}\n`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      symbol: { type: 'string' },
      interval: { type: 'string', default: '1d' },
      name: { type: 'string' },
      gateway: { type: 'string', default: process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000' },
      key: { type: 'string' },
    },
  });
  const [file] = positionals;
  if (!file || !values.symbol) throw new LoadError('Usage: npm run -s data:load -- <file.csv|file.ndjson> --symbol SYMBOL [--interval 1d] [--name NAME] [--gateway URL] [--key KEY]');
  if (!existsSync(file)) throw new LoadError(`No such file: ${file}`);
  const key = apiKey(values.key);
  await ensureInstrument(values.gateway, key, values.symbol, values.name ?? values.symbol);
  const contentType = /\.(ndjson|jsonl)$/i.test(file) ? 'application/x-ndjson' : 'text/csv';
  const url = new URL(`/v1/bars?symbol=${encodeURIComponent(values.symbol)}&interval=${encodeURIComponent(values.interval)}`, values.gateway);
  const { status, body, seconds } = await uploadFile(url, file, { authorization: `Bearer ${key}`, 'content-type': contentType });
  if (status !== 200) {
    process.stderr.write(`The upload was refused (${status}):\n${body}\n`);
    return 1;
  }
  const result = JSON.parse(body) as { rows: number };
  process.stderr.write(`stored ${result.rows.toLocaleString('en-US')} rows (${megabytes(statSync(file).size)} MB) in ${seconds.toFixed(1)} s: ${Math.round(result.rows / seconds).toLocaleString('en-US')} rows/s\n`);
  process.stdout.write(`${body}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof LoadError ? error.message : `Upload failed: ${(error as Error).message}. Is the stack running (npm start)?`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
