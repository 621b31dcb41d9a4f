import { parseTimestamp } from '@meridian/db';
import { HttpProblem } from '@meridian/service';

const DAY_MS = 86_400_000;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A query's `from`/`to` as epoch ms; `to=2020-12-31` means through the end of that day. */
export function instant(name: 'from' | 'to', raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseTimestamp(raw);
  if (ms === undefined) throw new HttpProblem(400, 'validation', `${name} "${raw}" is not a date: use YYYY-MM-DD or an ISO 8601 date-time.`);
  return name === 'to' && BARE_DATE.test(raw.trim()) ? ms + DAY_MS - 1 : ms;
}

/** First index whose time is at least `ms` (ts ascending). */
function lowerBound(ts: Float64Array, ms: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bars of [from, to] as the index range [start, end). */
export function windowOf(ts: Float64Array, from: number | undefined, to: number | undefined): [number, number] {
  const start = from === undefined ? 0 : lowerBound(ts, from);
  const end = to === undefined ? ts.length : lowerBound(ts, to + 1);
  return [start, Math.max(start, end)];
}

export function isoTimes(ts: Float64Array, start: number, end: number): string[] {
  const out = new Array<string>(end - start);
  for (let i = start; i < end; i++) out[i - start] = new Date(ts[i] as number).toISOString();
  return out;
}
