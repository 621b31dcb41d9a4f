import { describe, expect, it } from 'vitest';
import {
  adx,
  bollinger,
  covariance,
  donchian,
  ema,
  expandGrid,
  IndicatorParamsError,
  ledoitWolf,
  macd,
  MAX_GRID,
  momentum,
  rebalancedEquity,
  resolveIndicator,
  roc,
  rollingMax,
  rollingMin,
  rollingStd,
  rsi,
  seasonality,
  sma,
  stochastic,
  volatility,
  vwap,
  walkForward,
  wilder,
  wma,
  zscore,
} from '../src/index.js';
import { closesOnly, randomBars, thrown } from './helpers.js';

const problems = (name: string, raw: Record<string, unknown>): string[] => {
  try {
    resolveIndicator(name, raw);
    return [];
  } catch (error) {
    if (error instanceof IndicatorParamsError) return error.problems;
    throw error;
  }
};

describe('indicator parameters', () => {
  it('take each bound itself, refuse what lies beyond, and take an empty value as the default', () => {
    expect(resolveIndicator('sma', { period: '1' }).params).toEqual({ period: 1 });
    expect(resolveIndicator('sma', { period: '10000' }).params).toEqual({ period: 10_000 });
    expect(resolveIndicator('sma', { period: '' }).params).toEqual({ period: 20 });
    expect(problems('sma', { period: '10001' })).toEqual(['sma.period must be an integer in [1, 10000], got 10001']);
    expect(problems('sma', { period: '2.5' })).toEqual(['sma.period must be an integer in [1, 10000], got 2.5']);
    expect(problems('sma', { period: 'abc' })).toEqual(['sma.period must be an integer in [1, 10000], got abc']);
    expect(resolveIndicator('bollinger', { k: '0.5' }).params).toEqual({ period: 20, k: 0.5 });
    expect(problems('bollinger', { k: '-1' })).toEqual(['bollinger.k must be a number in [0, 100], got -1']);
    expect(problems('obv', { period: '3' })).toEqual(['obv has no parameter "period"; valid: none']);
  });

  it('name every problem in the error, and refuse a MACD whose fast period is not below its slow one', () => {
    const error = thrown<IndicatorParamsError>(() => resolveIndicator('macd', { fast: '0', slow: 'x' }));
    expect(error.name).toBe('IndicatorParamsError');
    expect(error.message).toBe('macd.fast must be an integer in [1, 10000], got 0; macd.slow must be an integer in [2, 10000], got x');
    expect(problems('macd', { fast: '26', slow: '26' })).toEqual(['macd.fast must be less than macd.slow']);
    expect(problems('macd', { fast: '25', slow: '26' })).toEqual([]);
  });

  it('pass each parameter to the computation under its own name', () => {
    const bars = randomBars(200, 4);
    const compute = (name: string, raw: Record<string, unknown>) => {
      const { spec, params } = resolveIndicator(name, raw);
      return spec.compute(bars, params);
    };
    expect(compute('macd', { fast: '5', slow: '17', signal: '4' })).toEqual({ ...macd(bars.close, 5, 17, 4) });
    expect(compute('bollinger', { period: '7', k: '1.5' })).toEqual({ ...bollinger(bars.close, 7, 1.5) });
    expect(compute('zscore', { period: '9' })).toEqual({ zscore: zscore(bars.close, 9) });
    expect(compute('volatility', { period: '11', barsPerYear: '52' })).toEqual({ volatility: volatility(bars.close, 11, 52) });
    expect(compute('donchian', { period: '6' })).toEqual({ ...donchian(bars.high, bars.low, 6) });
    expect(compute('vwap', { sessionOffsetMinutes: '60' })).toEqual({ vwap: vwap(bars, 60) });
    // Hourly bars across midnight, where the offset moves a session's start.
    const hourly = closesOnly([10, 20, 30, 40]);
    hourly.ts.set([Date.UTC(2020, 0, 1, 22, 30), Date.UTC(2020, 0, 1, 23, 30), Date.UTC(2020, 0, 2, 0, 30), Date.UTC(2020, 0, 2, 1, 30)]);
    const { spec, params } = resolveIndicator('vwap', { sessionOffsetMinutes: '60' });
    expect(spec.compute(hourly, params)).toEqual({ vwap: vwap(hourly, 60) });
    expect(vwap(hourly, 60)).not.toEqual(vwap(hourly, 0));
  });

  it('say so when an indicator without parameters is given one', () => {
    expect(thrown<IndicatorParamsError>(() => resolveIndicator('obv', { period: '5' })).problems).toEqual(['obv has no parameter "period"; valid: none']);
    expect(thrown<IndicatorParamsError>(() => resolveIndicator('macd', { period: '5' })).problems).toEqual(['macd has no parameter "period"; valid: fast, slow, signal']);
  });
});

describe('moving averages at their edges', () => {
  it('refuse a period that is not a whole number of bars', () => {
    for (const average of [sma, ema, wma, wilder]) {
      expect(() => average(Float64Array.of(1, 2, 3), 0)).toThrow(new RangeError('period must be an integer ≥ 1, got 0'));
      expect(() => average(Float64Array.of(1, 2, 3), 1.5)).toThrow(new RangeError('period must be an integer ≥ 1, got 1.5'));
    }
  });

  it('name the parameter they refuse, and the least it may be, in every indicator', () => {
    const x = Float64Array.of(1, 2, 3, 4);
    const refusals: [string, () => unknown, string][] = [
      ['rsi', () => rsi(x, 0), 'period must be an integer ≥ 1, got 0'],
      ['roc', () => roc(x, 0), 'period must be an integer ≥ 1, got 0'],
      ['momentum', () => momentum(x, 0), 'period must be an integer ≥ 1, got 0'],
      ['macd fast', () => macd(x, 0, 26, 9), 'fast must be an integer ≥ 1, got 0'],
      ['macd signal', () => macd(x, 12, 26, 0), 'signal must be an integer ≥ 1, got 0'],
      ['adx', () => adx(x, x, x, 1), 'period must be an integer ≥ 2, got 1'],
      ['bollinger', () => bollinger(x, 0), 'period must be an integer ≥ 1, got 0'],
      ['zscore', () => zscore(x, 1), 'period must be an integer ≥ 2, got 1'],
      ['volatility', () => volatility(x, 1), 'period must be an integer ≥ 2, got 1'],
      ['rollingMax', () => rollingMax(x, 0), 'period must be an integer ≥ 1, got 0'],
      ['rollingMin', () => rollingMin(x, 0), 'period must be an integer ≥ 1, got 0'],
      ['rollingStd', () => rollingStd(x, 0), 'period must be an integer ≥ 1, got 0'],
    ];
    for (const [name, call, message] of refusals) expect(call, name).toThrow(new RangeError(message));
  });

  it('give nothing but NaN for fewer bars than the period, and one value for exactly as many', () => {
    for (const average of [sma, ema, wma, wilder]) {
      expect([...average(Float64Array.of(1, 2), 3)]).toEqual([Number.NaN, Number.NaN]);
      const three = [...average(Float64Array.of(3, 6, 9), 3)];
      expect(three.slice(0, 2)).toEqual([Number.NaN, Number.NaN]);
      expect(three[2]).toBeGreaterThan(3);
    }
    expect(sma(Float64Array.of(3, 6, 9), 3)[2]).toBe(6);
    expect(wma(Float64Array.of(3, 6, 9), 3)[2]).toBe((3 + 12 + 27) / 6);
  });

  it('sum any length correctly, whatever is left over after blocks of four', () => {
    for (let n = 1; n <= 9; n++) {
      const values = Float64Array.from({ length: n }, (_, i) => i + 1);
      expect(sma(values, n)[n - 1], `n = ${n}`).toBe((n + 1) / 2);
    }
  });

  it('start an EMA at the first run of finite values', () => {
    const out = ema(Float64Array.of(Number.NaN, Number.NaN, 2, 4, 6, 8), 2);
    expect([...out]).toEqual([Number.NaN, Number.NaN, Number.NaN, 3, 5, 7]);
  });
});

describe('seasonality statistics', () => {
  // Closes on the last day of each month: every month's return is known exactly.
  const monthly = (closes: number[], year = 2019) => {
    const series = closesOnly(closes);
    series.ts.set(closes.map((_, i) => Date.UTC(year + Math.floor(i / 12), i % 12, 28)));
    return series;
  };

  it('takes a month from the previous month’s last close to its own, within from/to inclusive', () => {
    const series = monthly([100, 110, 99, 99, 108.9]);
    const months = seasonality(series, 'month');
    expect(months.map((m) => [m.label, m.count, m.mean])).toEqual([
      ['Feb', 1, expect.closeTo(0.1, 12)],
      ['Mar', 1, expect.closeTo(-0.1, 12)],
      ['Apr', 1, 0],
      ['May', 1, expect.closeTo(0.1, 12)],
    ]);
    const window = seasonality(series, 'month', { from: Date.UTC(2019, 2, 28), to: Date.UTC(2019, 3, 28) });
    expect(window.map((m) => m.label)).toEqual(['Mar', 'Apr']);
  });

  it('gives the median of an even count as the mean of the middle two, and no t-statistic without spread', () => {
    // Two Februaries and two Marches: +10 %/+30 % and 0 %/0 %.
    const series = monthly([100, 110, ...new Array<number>(10).fill(110), 100, 130, 130]);
    const [feb, mar] = seasonality(series, 'month').filter((m) => m.label === 'Feb' || m.label === 'Mar');
    expect(feb).toMatchObject({ count: 2, median: expect.closeTo(0.2, 12), hitRatio: 1 });
    expect(feb?.stdev).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(feb?.tStat).toBeCloseTo(0.2 / (Math.sqrt(0.02) / Math.sqrt(2)), 9);
    expect(mar).toMatchObject({ count: 2, median: 0, mean: 0, stdev: 0, tStat: null, hitRatio: 0 });
  });

  it('has no spread for a single sample, and sorts samples by value for the median', () => {
    const one = seasonality(monthly([100, 105]), 'month');
    expect(one).toEqual([{ bucket: 2, label: 'Feb', count: 1, mean: expect.closeTo(0.05, 12), median: expect.closeTo(0.05, 12), hitRatio: 1, stdev: null, tStat: null }]);
    // Three Februaries in the order +30 %, −10 %, +10 %: the median is +10 %.
    const three = monthly([100, 130, 130, 130, 130, 130, 130, 130, 130, 130, 130, 130, 130, 117, 117, 117, 117, 117, 117, 117, 117, 117, 117, 117, 117, 128.7]);
    expect(seasonality(three, 'month').find((m) => m.label === 'Feb')?.median).toBeCloseTo(0.1, 12);
  });

  it('labels weekdays by name and days of the year by number, within from/to inclusive', () => {
    const series = closesOnly([100, 101, 102, 103]);
    // Thursday 2 January 2020, then Friday, Saturday, Sunday.
    series.ts.set([Date.UTC(2020, 0, 2), Date.UTC(2020, 0, 3), Date.UTC(2020, 0, 4), Date.UTC(2020, 0, 5)]);
    expect(seasonality(series, 'weekday').map((b) => [b.bucket, b.label])).toEqual([
      [0, 'Sun'],
      [5, 'Fri'],
      [6, 'Sat'],
    ]);
    expect(seasonality(series, 'doy').map((b) => [b.bucket, b.label])).toEqual([
      [3, 'day 3'],
      [4, 'day 4'],
      [5, 'day 5'],
    ]);
    expect(seasonality(series, 'doy', { from: Date.UTC(2020, 0, 3), to: Date.UTC(2020, 0, 4) }).map((b) => b.bucket)).toEqual([3, 4]);
  });
});

describe('covariance estimates', () => {
  const a = [1, 2, 3, 4];
  const b = [2, 4, 6, 9];

  it('divide the centred cross products by T − 1, or by T', () => {
    const sample = covariance([a, b]);
    expect([...(sample[0] as Float64Array)].map((v) => v * 3)).toEqual([5, 11.5].map((v) => expect.closeTo(v, 12)));
    expect((sample[1] as Float64Array)[1]).toBeCloseTo(26.75 / 3, 12);
    expect((sample[1] as Float64Array)[0]).toBe((sample[0] as Float64Array)[1]);
    expect((covariance([a, b], 0)[0] as Float64Array)[1]).toBeCloseTo(11.5 / 4, 12);
  });

  it('need one series or more, each of two returns or more', () => {
    expect(() => covariance([])).toThrow(new RangeError('at least one return series is needed'));
    expect(() => ledoitWolf([[0.1]])).toThrow(new RangeError('at least two returns per series are needed'));
    expect((covariance([[1, 3]])[0] as Float64Array)[0]).toBe(2);
  });

  it('shrink by the Ledoit–Wolf intensity, written out from the paper for three assets', () => {
    const c = [0.5, -1, 2, 0];
    const x = [a, b, c];
    const t = 4;
    const p = 3;
    const centredX = x.map((r) => {
      const m = r.reduce((s, v) => s + v, 0) / t;
      return r.map((v) => v - m);
    });
    const S = centredX.map((ri) => centredX.map((rj) => ri.reduce((s, v, k) => s + v * (rj[k] as number), 0) / t));
    const mu = S.reduce((s, row, i) => s + (row[i] as number), 0) / p;
    let d2 = 0;
    S.forEach((row, i) => row.forEach((v, j) => (d2 += (v - (i === j ? mu : 0)) ** 2)));
    d2 /= p;
    let b2 = 0;
    for (let k = 0; k < t; k++) {
      let norm = 0;
      S.forEach((row, i) => row.forEach((v, j) => (norm += ((centredX[i]?.[k] as number) * (centredX[j]?.[k] as number) - v) ** 2)));
      b2 += norm / p;
    }
    const delta = Math.min(b2 / t ** 2, d2) / d2;
    const { covariance: shrunk, shrinkage } = ledoitWolf(x);
    expect(shrinkage).toBeCloseTo(delta, 12);
    expect(shrinkage).toBeGreaterThan(0);
    expect(shrinkage).toBeLessThan(1);
    S.forEach((row, i) => row.forEach((v, j) => expect((shrunk[i] as Float64Array)[j]).toBeCloseTo((1 - delta) * v + (i === j ? delta * mu : 0), 12)));
    // One asset: S is already μ·I, and there is nothing to shrink.
    expect(ledoitWolf([a]).shrinkage).toBe(0);
  });
});

describe('volatility indicators at their edges', () => {
  it('give bands only once a full period is there, and zero width over a flat window', () => {
    const short = bollinger(Float64Array.of(1, 2), 3, 2);
    expect([...short.middle]).toEqual([Number.NaN, Number.NaN]);
    const flat = bollinger(Float64Array.of(5, 5, 5, 6), 3, 2);
    expect([flat.lower[2], flat.middle[2], flat.upper[2]]).toEqual([5, 5, 5]);
    expect(flat.middle[3]).toBeCloseTo(16 / 3, 12);
    expect((flat.upper[3] as number) - (flat.middle[3] as number)).toBeCloseTo(2 * Math.sqrt(2 / 9), 12);
    expect(flat.middle[1]).toBeNaN();
  });

  it('give no z-score over a flat window, and the standard score otherwise', () => {
    const z = zscore(Float64Array.of(5, 5, 5, 8), 3);
    expect(z[2]).toBeNaN();
    // The sample σ of 5, 5, 8 is √3.
    expect(z[3]).toBeCloseTo((8 - 6) / Math.sqrt(3), 12);
  });

  it('annualise the σ of log returns once there are period returns', () => {
    const closes = Float64Array.of(100, 110, 99, 108.9);
    const v = volatility(closes, 3, 4);
    expect([...v.subarray(0, 3)]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    const r = [Math.log(1.1), Math.log(0.9), Math.log(1.1)];
    const mean = r.reduce((s, x) => s + x, 0) / 3;
    const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
    expect(v[3]).toBeCloseTo(sd * 2, 12);
    expect([...volatility(Float64Array.of(100, 110, 99), 3)]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  it('put the Donchian middle halfway between the highest high and the lowest low', () => {
    const d = donchian(Float64Array.of(10, 12, 11), Float64Array.of(8, 9, 7), 2);
    expect([...d.middle]).toEqual([Number.NaN, 10, 9.5]);
    expect([...d.upper]).toEqual([Number.NaN, 12, 12]);
    expect([...d.lower]).toEqual([Number.NaN, 8, 7]);
  });

  it('keep the latest of equal values in a rolling window', () => {
    expect([...rollingMax(Float64Array.of(3, 3, 1, 1), 2)]).toEqual([Number.NaN, 3, 3, 1]);
    expect([...rollingMin(Float64Array.of(1, 1, 3, 3), 2)]).toEqual([Number.NaN, 1, 1, 3]);
  });

  it('give a rolling σ of 0 over a flat window and none before a full one', () => {
    expect([...rollingStd(Float64Array.of(2, 2, 2, 4), 3)].map((v) => (Number.isNaN(v) ? null : v))).toEqual([null, null, 0, expect.closeTo(Math.sqrt(8 / 9), 12)]);
    expect([...rollingStd(Float64Array.of(2, 2), 3)]).toEqual([Number.NaN, Number.NaN]);
    expect(() => rollingStd(Float64Array.of(1, 2, 3), 1, 1)).toThrow(new RangeError('period must be an integer ≥ 2, got 1'));
  });
});

describe('grids, rebalancing and volume at their edges', () => {
  it('refuse a range that is empty, endless or without a positive step, and take one of a single value', () => {
    for (const range of [{ from: 1, to: 5, step: 0 }, { from: 1, to: 5, step: -1 }, { from: Number.NaN, to: 5, step: 1 }, { from: 1, to: Number.POSITIVE_INFINITY, step: 1 }, { from: 5, to: 1, step: 1 }]) {
      expect(() => expandGrid({ x: range }), JSON.stringify(range)).toThrow(/parameter "x": a range needs from ≤ to and step > 0/);
    }
    expect(expandGrid({ x: { from: 5, to: 5, step: 1 } })).toEqual([{ x: 5 }]);
  });

  it('take a grid of exactly MAX_GRID combinations, not one more', () => {
    expect(expandGrid({ a: { from: 1, to: 1000, step: 1 }, b: { from: 1, to: MAX_GRID / 1000, step: 1 } }, () => false)).toEqual([]);
    expect(() => expandGrid({ a: { from: 1, to: 1000, step: 1 }, b: { from: 1, to: MAX_GRID / 1000 + 1, step: 1 } })).toThrow(/at most 100000/);
  });

  it('split with windows of one bar, not of none', () => {
    expect(walkForward(3, { inSample: 1, outOfSample: 1, mode: 'rolling' })).toHaveLength(2);
    expect(() => walkForward(3, { inSample: 0, outOfSample: 1, mode: 'rolling' })).toThrow(new RangeError('inSample must be a positive integer, got 0'));
  });

  it('refuse weights or closes that do not match the assets, and value nothing for no bars', () => {
    expect(() => rebalancedEquity([1, 2], [[1, 1], [1, 1]], [1], 'monthly', 100)).toThrow(new RangeError('1 weights for 2 assets'));
    expect(() => rebalancedEquity([1, 2], [[1, 1], [1]], [0.5, 0.5], 'monthly', 100)).toThrow(/every asset needs a close/);
    expect([...rebalancedEquity([], [[], []], [0.5, 0.5], 'monthly', 100)]).toEqual([]);
  });

  it('rebalance at a new month of a later year, not only a later month', () => {
    // 31 December to 1 January: a new month although the month number falls.
    const ts = [Date.UTC(2020, 11, 30), Date.UTC(2020, 11, 31), Date.UTC(2021, 0, 1), Date.UTC(2021, 0, 2)];
    const equity = rebalancedEquity(ts, [[100, 200, 200, 100], [100, 100, 100, 100]], [0.5, 0.5], 'monthly', 1000);
    expect([...equity]).toEqual([1000, 1500, 1500, 1125]);
  });

  it('rebalance at a bar in the same quarter of a later year', () => {
    // Bars a year apart in the first quarter: a new quarter although the quarter number is the same.
    const ts = [Date.UTC(2020, 0, 10), Date.UTC(2020, 0, 20), Date.UTC(2021, 1, 10), Date.UTC(2021, 1, 11)];
    const equity = rebalancedEquity(ts, [[100, 200, 200, 100], [100, 100, 100, 100]], [0.5, 0.5], 'quarterly', 1000);
    expect([...equity]).toEqual([1000, 1500, 1500, 1125]);
  });

  it('start each VWAP session at the offset from midnight UTC, and give none over no volume', () => {
    const series = closesOnly([10, 20, 30]);
    // 23:30, 00:30 and 01:30 UTC: with a one-hour offset the first two share a session.
    series.ts.set([Date.UTC(2020, 0, 1, 23, 30), Date.UTC(2020, 0, 2, 0, 30), Date.UTC(2020, 0, 2, 1, 30)]);
    series.volume.set([1, 1, 1]);
    expect([...vwap(series, 60)]).toEqual([10, 15, 30]);
    expect([...vwap(series, 0)]).toEqual([10, 20, 25]);
    series.volume.set([0, 0, 1]);
    expect([...vwap(series, 60)]).toEqual([Number.NaN, Number.NaN, 30]);
  });
});

describe('momentum indicators at their edges', () => {
  it('give the rate and amount of change over the period', () => {
    expect([...roc(Float64Array.of(100, 110, 121), 1)]).toEqual([Number.NaN, expect.closeTo(10, 12), expect.closeTo(10, 12)]);
    expect([...momentum(Float64Array.of(100, 110, 121), 2)]).toEqual([Number.NaN, Number.NaN, 21]);
  });

  it('give an RSI only after period changes, and count an unchanged close as neither gain nor loss', () => {
    expect([...rsi(Float64Array.of(1, 2), 2)]).toEqual([Number.NaN, Number.NaN]);
    const r = rsi(Float64Array.of(1, 2, 2), 2);
    expect(r[2]).toBeCloseTo(100, 12);
    expect(rsi(Float64Array.of(2, 1, 1, 3), 3)[3]).toBeCloseTo(100 * (2 / 3), 12);
  });

  it('refuse a MACD whose fast period is not shorter than its slow one', () => {
    expect(() => macd(Float64Array.of(1, 2, 3), 5, 5, 2)).toThrow(new RangeError('fast (5) must be shorter than slow (5)'));
  });

  it('put the stochastic of a flat range at 50, and take %K unsmoothed when slowing is 1', () => {
    const flat = stochastic(Float64Array.of(5, 5, 5), Float64Array.of(5, 5, 5), Float64Array.of(5, 5, 5), 2, 1, 1);
    expect([...flat.k]).toEqual([Number.NaN, 50, 50]);
    const rising = stochastic(Float64Array.of(2, 4, 6), Float64Array.of(0, 2, 4), Float64Array.of(1, 4, 5), 2, 1, 2);
    expect([...rising.k]).toEqual([Number.NaN, 100, 75]);
    expect([...rising.d]).toEqual([Number.NaN, Number.NaN, 87.5]);
  });

  it('give an ADX of 0 when neither direction moves', () => {
    const flat = Float64Array.from({ length: 30 }, () => 10);
    const { adx: value, plusDI, minusDI } = adx(flat, flat, flat, 5);
    expect(value[29]).toBe(0);
    expect(plusDI[29]).toBe(0);
    expect(minusDI[29]).toBe(0);
  });
});
