/**
 * The Almanac table: how returns behave per calendar month, weekday or day of year.
 * - month: one return per calendar month, from the previous month's last close to this month's
 *   last close. The first month of the data has no previous close and is skipped; the last
 *   month counts as it stands, so pass a `to` at a month end for complete months only.
 * - weekday / doy: one close-to-close return per bar, bucketed by the bar's UTC date.
 * Per bucket: count, mean, median, hit ratio (share of returns > 0), sample σ and the t-statistic
 * mean / (σ/√count); statistics that need two returns or a non-zero σ are null.
 */
import type { BarSeries } from './series.js';
import { finiteOrNull } from './series.js';

export type SeasonalityBy = 'month' | 'weekday' | 'doy';

export interface SeasonalityBucket {
  /** 1–12 for months, 0 (Sunday)–6 for weekdays, 1–366 for day of year. */
  bucket: number;
  label: string;
  count: number;
  mean: number | null;
  median: number | null;
  hitRatio: number | null;
  stdev: number | null;
  tStat: number | null;
}

export interface SeasonalityOptions {
  from?: number;
  to?: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function seasonality(series: BarSeries, by: SeasonalityBy, options: SeasonalityOptions = {}): SeasonalityBucket[] {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const samples = by === 'month' ? monthlyReturns(series, from, to) : barReturns(series, by, from, to);
  const buckets: SeasonalityBucket[] = [];
  for (const [bucket, returns] of [...samples.entries()].sort((a, b) => a[0] - b[0])) buckets.push(summarise(bucket, label(by, bucket), returns));
  return buckets;
}

function label(by: SeasonalityBy, bucket: number): string {
  if (by === 'month') return MONTHS[bucket - 1] as string;
  if (by === 'weekday') return WEEKDAYS[bucket] as string;
  return `day ${bucket}`;
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function monthlyReturns(series: BarSeries, from: number, to: number): Map<number, number[]> {
  const { ts, close } = series;
  const out = new Map<number, number[]>();
  let prevMonthClose = Number.NaN;
  let monthKey = -1;
  let month = 0;
  let lastClose = Number.NaN;
  let lastTs = Number.NaN;
  const flush = () => {
    if (monthKey >= 0 && Number.isFinite(prevMonthClose) && lastTs >= from && lastTs <= to) push(out, month, lastClose / prevMonthClose - 1);
  };
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as number;
    const date = new Date(t);
    const key = date.getUTCFullYear() * 12 + date.getUTCMonth();
    if (key !== monthKey) {
      flush();
      prevMonthClose = lastClose;
      monthKey = key;
      month = date.getUTCMonth() + 1;
    }
    lastClose = close[i] as number;
    lastTs = t;
  }
  flush();
  return out;
}

function barReturns(series: BarSeries, by: 'weekday' | 'doy', from: number, to: number): Map<number, number[]> {
  const { ts, close } = series;
  const out = new Map<number, number[]>();
  for (let i = 1; i < ts.length; i++) {
    const t = ts[i] as number;
    if (t < from || t > to) continue;
    const date = new Date(t);
    const key = by === 'weekday' ? date.getUTCDay() : dayOfYear(date);
    push(out, key, (close[i] as number) / (close[i - 1] as number) - 1);
  }
  return out;
}

function dayOfYear(date: Date): number {
  return Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

function summarise(bucket: number, name: string, returns: number[]): SeasonalityBucket {
  const count = returns.length;
  let sum = 0;
  let hits = 0;
  for (const r of returns) {
    sum += r;
    if (r > 0) hits++;
  }
  const mean = sum / count;
  let squares = 0;
  for (const r of returns) squares += (r - mean) ** 2;
  const stdev = count > 1 ? Math.sqrt(squares / (count - 1)) : Number.NaN;
  const sorted = [...returns].sort((a, b) => a - b);
  const mid = count >> 1;
  const median = count % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    bucket,
    label: name,
    count,
    mean: finiteOrNull(mean),
    median: finiteOrNull(median),
    hitRatio: finiteOrNull(hits / count),
    stdev: finiteOrNull(stdev),
    tStat: stdev > 0 ? finiteOrNull(mean / (stdev / Math.sqrt(count))) : null,
  };
}
