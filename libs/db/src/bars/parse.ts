import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parseTimestamp } from './timestamp.js';

export type BarFormat = 'csv' | 'ndjson';

export interface Rejection {
  /** 1-based line number in the file, header included. */
  line: number;
  reason: string;
}

/** What the parser saw, read once the stream has ended. */
export interface ParseSummary {
  rows: number;
  rejected: number;
  /** The first rejected lines, in file order. */
  rejections: Rejection[];
  /** Timestamps strictly increased through the file, so it cannot hold a duplicate. */
  ascending: boolean;
  minTs: number;
  maxTs: number;
}

const MAX_REPORTED = 20;
const MAX_LINE = 4096;

type Fields = readonly [date: string, open: string, high: string, low: string, close: string, volume: string | undefined];

class LineError extends Error {}

function price(raw: string, name: string): number {
  const value = raw === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new LineError(`${name} is not a number: "${raw.slice(0, 40)}"`);
  return value;
}

/**
 * Reads CSV (header `date,open,high,low,close[,volume]`, extra columns ignored) or NDJSON
 * (`{"ts"|"date", "open", ...}`) and writes PostgreSQL COPY text rows
 * `line \t epoch-ms \t open \t high \t low \t close \t volume`. Bad lines are counted and
 * described instead of written, so one pass tells the whole story of a file.
 */
/**
 * A line the parser cannot hold: it stops reading at once, so that memory stays bounded, and the
 * upload is refused naming the line.
 */
export class LineTooLong extends Error {
  override name = 'LineTooLong';

  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line} is ${reason}`);
  }
}

export class BarParser extends Transform {
  readonly summary: ParseSummary = { rows: 0, rejected: 0, rejections: [], ascending: true, minTs: Infinity, maxTs: -Infinity };
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private line = 0;
  private columns: number[] | undefined;
  private width = 0;

  constructor(private readonly format: BarFormat) {
    super({ readableHighWaterMark: 1 << 16 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.rest + this.decoder.write(chunk);
    let start = 0;
    let out = '';
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      out += this.parseLine(text.slice(start, end));
      start = end + 1;
    }
    this.rest = text.slice(start);
    if (this.rest.length > MAX_LINE) return callback(new LineTooLong(this.line + 1, `longer than ${MAX_LINE} characters with no line break; is this a bar file?`));
    callback(null, out === '' ? undefined : out);
  }

  override _flush(callback: TransformCallback): void {
    const last = this.rest + this.decoder.end();
    const out = last === '' ? '' : this.parseLine(last);
    if (this.format === 'csv' && this.columns === undefined) this.reject(1, 'the file is empty: expected a header line date,open,high,low,close[,volume]');
    callback(null, out === '' ? undefined : out);
  }

  private parseLine(raw: string): string {
    const line = ++this.line;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return '';
    try {
      if (this.format === 'csv' && this.columns === undefined) {
        this.columns = csvHeader(text);
        this.width = Math.max(...this.columns) + 1;
        return '';
      }
      const fields = this.format === 'csv' ? this.csvFields(text) : ndjsonFields(text);
      return this.row(line, fields);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      this.reject(line, error.message);
      return '';
    }
  }

  private csvFields(text: string): Fields {
    const cells = text.split(',');
    const columns = this.columns as number[];
    if (cells.length < this.width) throw new LineError(`expected at least ${this.width} columns, got ${cells.length}`);
    const volume = columns[5] as number;
    return [
      unquote(cells[columns[0] as number] as string),
      unquote(cells[columns[1] as number] as string),
      unquote(cells[columns[2] as number] as string),
      unquote(cells[columns[3] as number] as string),
      unquote(cells[columns[4] as number] as string),
      volume < 0 ? undefined : unquote(cells[volume] as string),
    ];
  }

  private row(line: number, [date, openRaw, highRaw, lowRaw, closeRaw, volumeRaw]: Fields): string {
    const ts = parseTimestamp(date);
    if (ts === undefined) throw new LineError(`unparseable date "${date.slice(0, 40)}": use YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds`);
    const open = price(openRaw, 'open');
    const high = price(highRaw, 'high');
    const low = price(lowRaw, 'low');
    const close = price(closeRaw, 'close');
    if (high < low) throw new LineError(`high ${high} is below low ${low}`);
    if (open > high || open < low || close > high || close < low) throw new LineError(`open ${open} and close ${close} must lie within low ${low} and high ${high}`);
    let volume = '\\N';
    if (volumeRaw !== undefined && volumeRaw !== '') {
      const v = price(volumeRaw, 'volume');
      if (v < 0) throw new LineError(`volume ${v} is negative`);
      volume = String(v);
    }
    const summary = this.summary;
    if (ts <= summary.maxTs) summary.ascending = false;
    if (ts > summary.maxTs) summary.maxTs = ts;
    if (ts < summary.minTs) summary.minTs = ts;
    summary.rows++;
    // Once the file is known to be rejected, the rest is only read to describe it.
    if (summary.rejected > 0) return '';
    return `${line}\t${ts}\t${open}\t${high}\t${low}\t${close}\t${volume}\n`;
  }

  private reject(line: number, reason: string) {
    this.summary.rejected++;
    if (this.summary.rejections.length < MAX_REPORTED) this.summary.rejections.push({ line, reason });
  }
}

function unquote(cell: string): string {
  const first = cell.charCodeAt(0);
  const last = cell.charCodeAt(cell.length - 1);
  // Quotes and padding are rare: skip the work unless the cell starts or ends with one.
  if (first !== 34 && first !== 32 && last !== 34 && last !== 32 && last !== 9 && first !== 9) return cell;
  const trimmed = cell.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

const REQUIRED = ['date', 'open', 'high', 'low', 'close'] as const;

/** Column positions of date, open, high, low, close and volume (-1 when absent). */
function csvHeader(text: string): number[] {
  const names = text.split(',').map((name) => unquote(name).toLowerCase());
  const dateIndex = names.findIndex((name) => name === 'date' || name === 'ts' || name === 'timestamp' || name === 'time');
  const positions = [dateIndex, ...REQUIRED.slice(1).map((name) => names.indexOf(name)), names.indexOf('volume')];
  const missing = REQUIRED.filter((_, i) => (positions[i] as number) < 0);
  if (missing.length > 0) throw new LineError(`the header lacks ${missing.join(', ')}: expected date,open,high,low,close[,volume], got "${text.slice(0, 80)}"`);
  return positions;
}

function field(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  throw new LineError(`${name} must be a number or a string`);
}

function ndjsonFields(text: string): Fields {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    throw new LineError('not a JSON object');
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new LineError('not a JSON object');
  const r = record as Record<string, unknown>;
  const required = (name: string) => {
    const value = field(r, name);
    if (value === undefined) throw new LineError(`${name} is missing`);
    return value;
  };
  const date = field(r, 'ts') ?? field(r, 'date');
  if (date === undefined) throw new LineError('ts (or date) is missing');
  return [date, required('open'), required('high'), required('low'), required('close'), field(r, 'volume')];
}
