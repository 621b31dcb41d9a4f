import { describe, expect, it } from 'vitest';
import { seasonality } from '../src/index.js';
import { closesOnly } from './helpers.js';

/** Month-end closes only: each bar is the last of its month. */
function monthEnds(closes: number[], startYear: number): ReturnType<typeof closesOnly> {
  const series = closesOnly(closes);
  closes.forEach((_, i) => (series.ts[i] = Date.UTC(startYear, i, 28)));
  return series;
}

describe('seasonality table', () => {
  it('gives per-month count, mean, median, hit ratio, σ and t-statistic', () => {
    // Jan returns: +10 %, −5 %, +20 % over three years; every other month is flat.
    const closes: number[] = [100];
    let price = 100;
    const jan = [0.1, -0.05, 0.2];
    for (let year = 0; year < 3; year++) {
      for (let month = 0; month < 12; month++) {
        if (year === 0 && month === 0) continue;
        if (month === 0) price *= 1 + (jan[year] as number);
        closes.push(price);
      }
    }
    price *= 1 + (jan[2] as number);
    closes.push(price); // January of the third year (index 36)
    const table = seasonality(monthEnds(closes, 2000), 'month');
    const january = table.find((b) => b.bucket === 1);
    // The first January (2000) has no previous close: the Jan returns counted are 2001 (−5 %) and 2002 (+20 %)... and 2003 (+20 %).
    const counted = [-0.05, 0.2, 0.2];
    const mean = counted.reduce((a, b) => a + b, 0) / 3;
    const sd = Math.sqrt(counted.reduce((a, r) => a + (r - mean) ** 2, 0) / 2);
    expect(january).toMatchObject({ label: 'Jan', count: 3 });
    expect(january?.mean).toBeCloseTo(mean, 12);
    expect(january?.median).toBeCloseTo(0.2, 12);
    expect(january?.hitRatio).toBeCloseTo(2 / 3, 12);
    expect(january?.stdev).toBeCloseTo(sd, 12);
    expect(january?.tStat).toBeCloseTo(mean / (sd / Math.sqrt(3)), 10);
    const february = table.find((b) => b.bucket === 2);
    expect(february).toMatchObject({ count: 3, mean: 0, hitRatio: 0, stdev: 0, tStat: null });
  });

  it('buckets bar returns by UTC weekday and restricts them to the range', () => {
    // 2024-01-01 is a Monday. Each bar rises 1 % on Mondays and falls 1 % otherwise.
    const closes = [100];
    for (let i = 1; i < 21; i++) closes.push((closes[i - 1] as number) * (i % 7 === 0 ? 1.01 : 0.99));
    const series = closesOnly(closes, Date.UTC(2024, 0, 1));
    const table = seasonality(series, 'weekday');
    expect(table.map((b) => b.label)).toEqual(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']);
    expect(table.find((b) => b.label === 'Mon')).toMatchObject({ count: 2, hitRatio: 1 });
    expect(table.find((b) => b.label === 'Mon')?.mean).toBeCloseTo(0.01, 12);
    const firstWeek = seasonality(series, 'weekday', { to: Date.UTC(2024, 0, 7) });
    expect(firstWeek.reduce((a, b) => a + b.count, 0)).toBe(6);
  });

  it('takes the median of the sorted returns', () => {
    // Five weekly Monday returns of +7 %, −17 %, −15 %, +1 % and −5 %: the median is −5 %.
    const returns = [0.07, -0.17, -0.15, 0.01, -0.05];
    const closes = [100];
    for (const r of returns) closes.push((closes.at(-1) as number) * (1 + r));
    const series = closesOnly(closes);
    // 2024-01-01 is a Monday; one bar a week, so every return falls on a Monday.
    closes.forEach((_, i) => (series.ts[i] = Date.UTC(2024, 0, 1 + 7 * i)));
    const monday = seasonality(series, 'weekday').find((b) => b.label === 'Mon');
    expect(monday?.count).toBe(5);
    expect(monday?.median).toBeCloseTo(-0.05, 12);
  });

  it('counts the same month of two years as two returns when the year between has no bars', () => {
    // December 2019, January 2020, January 2021: two January returns, each from the last close before it.
    const series = closesOnly([100, 110, 99]);
    series.ts.set([Date.UTC(2019, 11, 31), Date.UTC(2020, 0, 31), Date.UTC(2021, 0, 31)]);
    const january = seasonality(series, 'month').find((b) => b.bucket === 1);
    expect(january).toMatchObject({ count: 2, hitRatio: 0.5 });
    expect(january?.median).toBeCloseTo((0.1 - 0.1) / 2, 12);
  });

  it('keeps months apart that lie a multiple of twelve years, less a month, apart', () => {
    // February 2000 and January 2012: two months, each with its own return.
    const series = closesOnly([100, 110, 121]);
    series.ts.set([Date.UTC(1999, 11, 31), Date.UTC(2000, 1, 28), Date.UTC(2012, 0, 31)]);
    expect(seasonality(series, 'month').map((b) => [b.label, b.count])).toEqual([['Jan', 1], ['Feb', 1]]);
  });

  it('starts the weekday table at the first bar of the range', () => {
    // Daily bars from Monday 2024-01-01; from Monday 15 January on, seven returns remain, one per weekday.
    const closes = Array.from({ length: 21 }, (_, i) => 100 + i);
    const table = seasonality(closesOnly(closes, Date.UTC(2024, 0, 1)), 'weekday', { from: Date.UTC(2024, 0, 15) });
    expect(table.map((b) => [b.label, b.count])).toEqual([['Sun', 1], ['Mon', 1], ['Tue', 1], ['Wed', 1], ['Thu', 1], ['Fri', 1], ['Sat', 1]]);
    expect(table.find((b) => b.label === 'Mon')?.mean).toBeCloseTo(114 / 113 - 1, 12);
  });

  it('numbers days of the year from 1', () => {
    const series = closesOnly([100, 101, 102], Date.UTC(2023, 11, 31));
    expect(seasonality(series, 'doy').map((b) => b.bucket)).toEqual([1, 2]);
  });
});
