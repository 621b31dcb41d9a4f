// YYYY-MM-DD, optionally THH:MM[:SS[.fff]] (T or a space), optionally Z or ±HH[:]MM.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DIGITS = /^\d{1,13}$/;

/**
 * Epoch milliseconds of a bar's timestamp, or undefined when it is not one.
 * A date or date-time without a zone is UTC (never the server's local zone, so the same file
 * loads the same everywhere); a bare integer is epoch seconds below 10^11, else milliseconds.
 */
export function parseTimestamp(raw: string): number | undefined {
  const fast = fastUtc(raw);
  if (fast !== undefined) return fast;
  const text = raw.trim();
  if (DIGITS.test(text)) {
    const n = Number(text);
    return n < 1e11 ? n * 1000 : n;
  }
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo) - 1;
  const day = Number(d);
  const ms = utc(year, month, day, Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  const check = new Date(ms);
  // Date.UTC rolls 2021-02-30 over into March; a calendar that does so is a typo, not a date.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month || check.getUTCDate() !== day || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (zone === undefined || zone === 'Z' || zone === 'z') return ms;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return ms - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

/** Date.UTC, except that a year below 100 is that year, not 1900 plus it. */
function utc(year: number, month: number, day: number, hours = 0, minutes = 0, seconds = 0, ms = 0): number {
  const time = Date.UTC(year, month, day, hours, minutes, seconds, ms);
  return year < 100 ? new Date(time).setUTCFullYear(year) : time;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 48;

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value;
}

let lastDay = '';
let lastDayMs = NaN;

/**
 * The shapes bar files use nearly always (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]`), read
 * digit by digit with the day cached: minute files repeat each date hundreds of times, and
 * this is the hottest line of an ingest. Undefined for anything else, which goes to the general
 * parser. Exported for its tests: parseTimestamp's answers cannot show whether this path read a
 * timestamp or left it to the slower one.
 */
export function fastUtc(text: string): number | undefined {
  const length = text.length;
  if (length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const day = text.slice(0, 10);
  if (day !== lastDay) {
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const date = digits(text, 8, 2);
    const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    if (!(year >= 0 && month >= 1 && month <= 12 && date >= 1 && date <= (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0))) return undefined;
    lastDay = day;
    lastDayMs = utc(year, month - 1, date);
  }
  if (length === 10) return lastDayMs;
  const separator = text.charCodeAt(10);
  if ((separator !== 84 && separator !== 32) || text.charCodeAt(13) !== 58) return undefined;
  const zulu = text.charCodeAt(length - 1) === 90;
  const end = zulu ? length - 1 : length;
  let ms = 0;
  let seconds = 0;
  if (end === 19 || end === 23) {
    if (text.charCodeAt(16) !== 58) return undefined;
    seconds = digits(text, 17, 2);
    if (end === 23) {
      if (text.charCodeAt(19) !== 46) return undefined;
      ms = digits(text, 20, 3);
    }
  } else if (end !== 16) {
    return undefined;
  }
  const hours = digits(text, 11, 2);
  const minutes = digits(text, 14, 2);
  if (!(hours <= 23 && minutes <= 59 && seconds <= 59 && ms >= 0)) return undefined;
  return lastDayMs + ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms;
}
