/**
 * Uploads a bar file through the gateway with a progress bar:
 *
 *   npm run -s data:load -- bars.csv --symbol SYN1 --interval 1m [--name "Synthetic 1"]
 *
 * The key comes from --key, MERIDIAN_API_KEY or tmp/demo-key (written by `npm start`); the
 * gateway from --gateway or GATEWAY_URL. A missing instrument is created first.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { megabytes, Progress } from '../lib/progress.js';

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

function upload(url: URL, key: string, file: string, contentType: string): Promise<{ status: number; body: string }> {
  const size = statSync(file).size;
  const progress = new Progress('uploaded', size / 1_048_576, 'MB', (n) => n.toFixed(1));
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      progress.update(sent / 1_048_576);
      if (sent === size) {
        progress.done(sent / 1_048_576);
        process.stderr.write('uploaded; waiting for the service to store the last batch and commit...\n');
      }
      callback(null, chunk);
    },
  });
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType, 'content-length': size } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text));
      res.on('end', () => {
        resolvePromise({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    pipeline(createReadStream(file), counter, req).catch(reject);
  });
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
  const started = performance.now();
  const { status, body } = await upload(url, key, file, contentType);
  const seconds = (performance.now() - started) / 1000;
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
