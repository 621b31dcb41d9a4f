/**
 * Synthetic OHLCV to stdout:
 *
 *   npm run -s data:generate -- --rows 5000000 --interval 1m --seed 7 [--format ndjson] > bars.csv
 *
 * Progress goes to stderr; stdout carries only the file.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Progress } from '../lib/progress.js';
import { CSV_HEADER, syntheticBars, toCsvLine, toNdjsonLine } from './synthetic.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '1d' },
    seed: { type: 'string', default: '1' },
    format: { type: 'string', default: 'csv' },
    start: { type: 'string', default: '2010-01-04' },
    price: { type: 'string', default: '100' },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 1) fail(`--rows must be a positive whole number, got "${values.rows}"`);
if (values.interval !== '1m' && values.interval !== '1d') fail(`--interval must be 1m or 1d, got "${values.interval}"`);
if (values.format !== 'csv' && values.format !== 'ndjson') fail(`--format must be csv or ndjson, got "${values.format}"`);
const start = Date.parse(`${values.start}T00:00:00Z`);
if (Number.isNaN(start)) fail(`--start must be a date YYYY-MM-DD, got "${values.start}"`);
const interval = values.interval;
const line = values.format === 'csv' ? toCsvLine : toNdjsonLine;

const progress = rows >= 100_000 ? new Progress('generated', rows, 'rows') : undefined;
let chunk = values.format === 'csv' ? CSV_HEADER : '';
let written = 0;
for (const bar of syntheticBars({ seed: Number(values.seed), interval, rows, start, startPrice: Number(values.price) })) {
  chunk += line(bar, interval);
  if (++written % 2000 === 0) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    chunk = '';
    progress?.update(written);
  }
}
process.stdout.write(chunk);
progress?.done(written);
