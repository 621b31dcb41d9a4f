import { expect } from 'vitest';
import { emptySeries, parseRuleSpec, RuleSpecError, type BarSeries, type RuleProblem } from '../src/index.js';

/** A seeded generator (mulberry32), so that property tests are reproducible. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random walk of daily bars starting 2010-01-04, with consistent high ≥ open/close ≥ low. */
export function randomBars(length: number, seed = 1, start = Date.UTC(2010, 0, 4)): BarSeries {
  const next = random(seed);
  const series = emptySeries(length);
  let price = 100;
  for (let i = 0; i < length; i++) {
    const open = price * (1 + (next() - 0.5) * 0.01);
    const close = open * (1 + (next() - 0.5) * 0.04);
    series.ts[i] = start + i * 86_400_000;
    series.open[i] = open;
    series.close[i] = close;
    series.high[i] = Math.max(open, close) * (1 + next() * 0.01);
    series.low[i] = Math.min(open, close) * (1 - next() * 0.01);
    series.volume[i] = 1000 + Math.floor(next() * 9000);
    price = close;
  }
  return series;
}

/** Bars from [open, high, low, close] rows, one day apart, volume 1. */
export function ohlc(rows: readonly (readonly [number, number, number, number])[], start = Date.UTC(2020, 0, 1)): BarSeries {
  const series = emptySeries(rows.length);
  rows.forEach(([o, h, l, c], i) => {
    series.ts[i] = start + i * 86_400_000;
    series.open[i] = o;
    series.high[i] = h;
    series.low[i] = l;
    series.close[i] = c;
    series.volume[i] = 1;
  });
  return series;
}

/** Bars from closes only (open = high = low = close). */
export function closesOnly(close: readonly number[], start = Date.UTC(2020, 0, 1)): BarSeries {
  return ohlc(close.map((c) => [c, c, c, c] as const), start);
}

/**
 * Values from `firstIndex` on match `expected` within `tolerance`; everything before is NaN
 * unless `warmup` says where values begin (a reference that aligns its outputs may start later).
 */
export function expectSeries(actual: Float64Array, firstIndex: number, expected: readonly number[], tolerance: number, warmup = firstIndex): void {
  for (let i = 0; i < warmup; i++) expect(actual[i], `index ${i} is warm-up`).toBeNaN();
  if (warmup < firstIndex) expect(actual[warmup], `index ${warmup} has the first value`).not.toBeNaN();
  expect(actual.length - firstIndex, 'number of values').toBe(expected.length);
  expected.forEach((value, k) => {
    const got = actual[firstIndex + k] as number;
    expect(Math.abs(got - value), `index ${firstIndex + k}: got ${got}, expected ${value}`).toBeLessThanOrEqual(tolerance);
  });
}

export function firstFiniteIndex(values: Float64Array): number {
  const i = values.findIndex((v) => Number.isFinite(v));
  return i === -1 ? values.length : i;
}

/** A rule's targets, one per bar, as the engine takes them. */
export const targets = (...t: number[]): Int8Array => Int8Array.from(t);

/** The error `call` throws; fails the test when it throws none. */
export function thrown<E extends Error>(call: () => unknown): E {
  try {
    call();
  } catch (error) {
    return error as E;
  }
  throw new Error('expected an error, none was thrown');
}

/** The problems parseRuleSpec reports for `input`; none when it is valid. */
export function problemsOf(input: unknown): RuleProblem[] {
  try {
    parseRuleSpec(input);
    return [];
  } catch (error) {
    if (error instanceof RuleSpecError) return error.problems;
    throw error;
  }
}
