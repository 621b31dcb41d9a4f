import { Readable } from 'node:stream';

/**
 * Synthetic OHLCV: geometric Brownian motion whose volatility follows a GARCH(1,1) process, so
 * calm and stormy stretches cluster as in real markets. Seeded: the same options give the same
 * bars on every machine.
 */
export interface SyntheticOptions {
  seed: number;
  interval: '1m' | '1d';
  rows: number;
  /** Epoch ms of the first session. */
  start: number;
  startPrice?: number;
  /** Annual drift. */
  drift?: number;
}

export interface SyntheticBar {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** mulberry32: tiny, fast and good enough for test data. */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function normal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const SESSION_OPEN = 14 * 60 + 30; // 09:30 New York as UTC minutes, ignoring daylight saving
const SESSION_MINUTES = 390;

/** Bar start times: weekdays only; minutes inside a 390-minute session. */
function* clock(interval: SyntheticOptions['interval'], start: number): Generator<number> {
  let day = Math.floor(start / DAY) * DAY;
  for (;; day += DAY) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    if (interval === '1d') {
      yield day;
      continue;
    }
    for (let m = 0; m < SESSION_MINUTES; m++) yield day + (SESSION_OPEN + m) * MINUTE;
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

export function* syntheticBars(options: SyntheticOptions): Generator<SyntheticBar> {
  const random = uniform(options.seed);
  const gauss = normal(random);
  const periodsPerYear = options.interval === '1d' ? 252 : 252 * SESSION_MINUTES;
  const longRunVariance = 0.18 ** 2 / periodsPerYear;
  const [omega, alpha, beta] = [longRunVariance * 0.05, 0.08, 0.87];
  const drift = (options.drift ?? 0.07) / periodsPerYear;
  let variance = longRunVariance;
  let shock = 0;
  let close = options.startPrice ?? 100;
  const times = clock(options.interval, options.start);
  for (let i = 0; i < options.rows; i++) {
    variance = omega + alpha * shock * shock + beta * variance;
    const sigma = Math.sqrt(variance);
    shock = sigma * gauss();
    const open = round(close * (1 + sigma * 0.1 * gauss()));
    const next = Math.max(0.01, round(open * Math.exp(drift - variance / 2 + shock)));
    const wick = () => Math.abs(gauss()) * sigma * 0.5;
    const high = round(Math.max(open, next) * (1 + wick()));
    const low = round(Math.min(open, next) * (1 - wick()));
    const volume = Math.round(1e6 * (1 + Math.abs(shock) / sigma) * (0.5 + random()));
    close = next;
    yield { ts: times.next().value as number, open, high, low: Math.max(0.01, low), close, volume };
  }
}

const iso = (ts: number, interval: SyntheticOptions['interval']) => {
  const text = new Date(ts).toISOString();
  return interval === '1d' ? text.slice(0, 10) : text;
};

export function toCsvLine(bar: SyntheticBar, interval: SyntheticOptions['interval']): string {
  return `${iso(bar.ts, interval)},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}\n`;
}

export function toNdjsonLine(bar: SyntheticBar, interval: SyntheticOptions['interval']): string {
  return `{"ts":"${iso(bar.ts, interval)}","open":${bar.open},"high":${bar.high},"low":${bar.low},"close":${bar.close},"volume":${bar.volume}}\n`;
}

export const CSV_HEADER = 'date,open,high,low,close,volume\n';

/** The bars as a CSV stream with its header, produced as it is read. */
export function syntheticCsv(options: SyntheticOptions): Readable {
  const bars = syntheticBars(options);
  return Readable.from((function* () {
    yield CSV_HEADER;
    for (const bar of bars) yield toCsvLine(bar, options.interval);
  })());
}
