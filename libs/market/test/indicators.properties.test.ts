import { describe, expect, it } from 'vitest';
import {
  atr,
  bollinger,
  ema,
  indicators,
  IndicatorParamsError,
  macd,
  resolveIndicator,
  rollingMax,
  rollingMin,
  rollingStd,
  rsi,
  sma,
  stochastic,
  toNullable,
  trueRange,
  volatility,
  vwap,
  wilder,
  wma,
  zscore,
} from '../src/index.js';
import { firstFiniteIndex, random, randomBars } from './helpers.js';

const bars = randomBars(2_000, 7);
const close = bars.close;

function naive(values: Float64Array, period: number, f: (window: number[]) => number): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let i = period - 1; i < values.length; i++) out[i] = f([...values.subarray(i - period + 1, i + 1)]);
  return out;
}

function expectClose(actual: Float64Array, expected: Float64Array, tolerance = 1e-9): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(e)) expect(a, `index ${i}`).toBeNaN();
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e)));
  }
}

describe('indicator properties', () => {
  it('the SMA of a constant is the constant', () => {
    const flat = new Float64Array(500).fill(42.5);
    const out = sma(flat, 20);
    for (let i = 19; i < out.length; i++) expect(out[i]).toBeCloseTo(42.5, 12);
  });

  it('running-sum SMA, WMA, rolling extremes and σ agree with re-summing every window', () => {
    const mean = (w: number[]) => w.reduce((a, b) => a + b, 0) / w.length;
    expectClose(sma(close, 30), naive(close, 30, mean));
    expectClose(wma(close, 30), naive(close, 30, (w) => w.reduce((a, v, k) => a + v * (k + 1), 0) / ((30 * 31) / 2)));
    expectClose(rollingMax(close, 17), naive(close, 17, (w) => Math.max(...w)));
    expectClose(rollingMin(close, 17), naive(close, 17, (w) => Math.min(...w)));
    const sd = (ddof: number) => (w: number[]) => Math.sqrt(w.reduce((a, v) => a + (v - mean(w)) ** 2, 0) / (w.length - ddof));
    expectClose(rollingStd(close, 25, 0), naive(close, 25, sd(0)), 1e-7);
    expectClose(rollingStd(close, 25, 1), naive(close, 25, sd(1)), 1e-7);
  });

  it('RSI stays within [0, 100], is 100 for a rising series and 50 for a flat one', () => {
    for (const v of rsi(close, 14)) if (!Number.isNaN(v)) expect(v >= 0 && v <= 100).toBe(true);
    const rising = Float64Array.from({ length: 40 }, (_, i) => 100 + i);
    expect(rsi(rising, 14)[39]).toBe(100);
    expect(rsi(new Float64Array(40).fill(7), 14)[39]).toBe(50);
  });

  it('Bollinger upper ≥ middle ≥ lower on every bar', () => {
    const b = bollinger(close, 20, 2);
    for (let i = 19; i < close.length; i++) {
      expect(b.upper[i]).toBeGreaterThanOrEqual(b.middle[i] as number);
      expect(b.middle[i]).toBeGreaterThanOrEqual(b.lower[i] as number);
    }
  });

  it('the EMA of a step converges to the new level', () => {
    const step = Float64Array.from({ length: 300 }, (_, i) => (i < 50 ? 10 : 20));
    const out = ema(step, 10);
    expect(out[49]).toBe(10);
    expect(out[60]).toBeGreaterThan(15);
    expect(out[299]).toBeCloseTo(20, 9);
  });

  it('EMA, Wilder smoothing, RSI and ATR equal their one-bar-at-a-time recurrences, whatever the length', () => {
    // The smoothing runs in blocks of four bars; lengths period…period+8 end on every block position.
    const sequential = (values: Float64Array, period: number, alpha: number) => {
      const out = new Float64Array(values.length).fill(Number.NaN);
      let prev = values.subarray(0, period).reduce((a, b) => a + b, 0) / period;
      out[period - 1] = prev;
      for (let i = period; i < values.length; i++) out[i] = prev += alpha * ((values[i] as number) - prev);
      return out;
    };
    const sequentialRsi = (values: Float64Array, period: number) => {
      const out = new Float64Array(values.length).fill(Number.NaN);
      let gain = 0;
      let loss = 0;
      for (let i = 1; i < values.length; i++) {
        const d = (values[i] as number) - (values[i - 1] as number);
        if (i <= period) {
          gain += Math.max(d, 0) / period;
          loss += Math.max(-d, 0) / period;
          if (i < period) continue;
        } else {
          gain = (gain * (period - 1) + Math.max(d, 0)) / period;
          loss = (loss * (period - 1) + Math.max(-d, 0)) / period;
        }
        out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
      }
      return out;
    };
    const tr = trueRange(bars.high, bars.low, bars.close);
    for (let length = 14; length <= 14 + 8; length++) {
      const part = close.subarray(0, length);
      expectClose(ema(part, 10), sequential(part, 10, 2 / 11), 1e-12);
      expectClose(wilder(part, 14), sequential(part, 14, 1 / 14), 1e-12);
      expectClose(rsi(part, 13), sequentialRsi(part, 13), 1e-12);
      expectClose(atr(bars.high.subarray(0, length), bars.low.subarray(0, length), bars.close.subarray(0, length), 14), sequential(tr.subarray(0, length), 14, 1 / 14), 1e-12);
    }
    expectClose(ema(close, 10), sequential(close, 10, 2 / 11), 1e-12);
    expectClose(rsi(close, 14), sequentialRsi(close, 14), 1e-12);
  });

  it('a bar\'s EMA, RSI and ATR do not depend on how many bars follow it, to the last bit', () => {
    const full = { ema: ema(close, 20), rsi: rsi(close, 14), atr: atr(bars.high, bars.low, bars.close, 14) };
    for (let end = 30; end <= 40; end++) {
      expect(ema(close.subarray(0, end), 20)[end - 1]).toBe(full.ema[end - 1]);
      expect(rsi(close.subarray(0, end), 14)[end - 1]).toBe(full.rsi[end - 1]);
      expect(atr(bars.high.subarray(0, end), bars.low.subarray(0, end), bars.close.subarray(0, end), 14)[end - 1]).toBe(full.atr[end - 1]);
    }
  });

  it('the EMA of a constant is exactly the constant', () => {
    // The seed (the mean of ten 42.5s) is exact here; smoothing without an anchor drifts by an ulp.
    const out = ema(new Float64Array(103).fill(42.5), 10);
    for (let i = 9; i < out.length; i++) expect(out[i]).toBe(42.5);
  });

  it('MACD is EMA(fast) − EMA(slow) and its signal is an EMA seeded with the SMA of the first 9 MACD values', () => {
    const m = macd(close, 12, 26, 9);
    const fast = ema(close, 12);
    const slow = ema(close, 26);
    expect(firstFiniteIndex(m.macd)).toBe(25);
    expect(firstFiniteIndex(m.signal)).toBe(33);
    expect(m.macd[100]).toBeCloseTo((fast[100] as number) - (slow[100] as number), 12);
    const seed = [...m.macd.subarray(25, 34)].reduce((a, b) => a + b, 0) / 9;
    expect(m.signal[33]).toBeCloseTo(seed, 12);
    const alpha = 2 / 10;
    expect(m.signal[34]).toBeCloseTo(seed + alpha * ((m.macd[34] as number) - seed), 12);
    expect(m.histogram[50]).toBeCloseTo((m.macd[50] as number) - (m.signal[50] as number), 12);
  });

  it('the stochastic stays within [0, 100]', () => {
    const s = stochastic(bars.high, bars.low, bars.close, 14, 3, 3);
    for (const v of [...s.k, ...s.d]) if (!Number.isNaN(v)) expect(v >= 0 && v <= 100).toBe(true);
  });

  it('the z-score of the last value of a window is its distance from the mean in sample σ', () => {
    const z = zscore(close, 20);
    const w = [...close.subarray(81, 101)];
    const mean = w.reduce((a, b) => a + b, 0) / 20;
    const sd = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / 19);
    expect(z[100]).toBeCloseTo(((close[100] as number) - mean) / sd, 9);
  });

  it('volatility annualises the sample σ of log returns with √A', () => {
    const v = volatility(close, 20, 252);
    const logs = Array.from({ length: 20 }, (_, k) => Math.log((close[81 + k] as number) / (close[80 + k] as number)));
    const mean = logs.reduce((a, b) => a + b, 0) / 20;
    const sd = Math.sqrt(logs.reduce((a, r) => a + (r - mean) ** 2, 0) / 19);
    expect(firstFiniteIndex(v)).toBe(20);
    expect(v[100]).toBeCloseTo(sd * Math.sqrt(252), 9);
  });

  it('session VWAP restarts at each UTC day', () => {
    const hour = 3_600_000;
    const series = randomBars(48, 3, Date.UTC(2024, 0, 2));
    for (let i = 0; i < 48; i++) series.ts[i] = Date.UTC(2024, 0, 2) + i * hour;
    const out = vwap(series);
    const typical = (i: number) => ((series.high[i] as number) + (series.low[i] as number) + (series.close[i] as number)) / 3;
    expect(out[0]).toBeCloseTo(typical(0), 12);
    expect(out[24]).toBeCloseTo(typical(24), 12);
    const v = (i: number) => series.volume[i] as number;
    expect(out[25]).toBeCloseTo((typical(24) * v(24) + typical(25) * v(25)) / (v(24) + v(25)), 12);
  });

  it('every catalogue indicator returns arrays of the input length whose first value is at its stated warm-up', () => {
    const next = random(11);
    for (const spec of indicators.values()) {
      const raw = Object.fromEntries(spec.params.map((p) => [p.name, p.integer ? p.default + Math.floor(next() * 3) : p.default]));
      const { params } = resolveIndicator(spec.name, raw);
      const outputs = spec.compute(bars, params);
      expect(Object.keys(outputs).sort(), spec.name).toEqual([...spec.outputs].sort());
      const firsts = Object.values(outputs).map((values) => {
        expect(values.length, spec.name).toBe(bars.close.length);
        return firstFiniteIndex(values);
      });
      expect(Math.max(...firsts), `${spec.name} ${JSON.stringify(params)}`).toBe(spec.warmup(params));
    }
  });

  it('rejects an unknown indicator by listing the valid ones, and a period below 1 by naming it', () => {
    expect(() => resolveIndicator('kama', {})).toThrow(/unknown indicator "kama"; valid: sma, ema/);
    expect(() => resolveIndicator('sma', { period: '0' })).toThrow(IndicatorParamsError);
    expect(() => resolveIndicator('sma', { period: '0' })).toThrow(/sma.period must be an integer in \[1, 10000\], got 0/);
    expect(() => resolveIndicator('rsi', { lenght: '14' })).toThrow(/rsi has no parameter "lenght"; valid: period/);
    expect(() => resolveIndicator('macd', { fast: '30' })).toThrow(/fast must be less than macd.slow/);
    expect(resolveIndicator('bollinger', {}).params).toEqual({ period: 20, k: 2 });
  });

  it('serialises warm-up NaN as null', () => {
    expect(toNullable(sma(Float64Array.of(1, 2, 3), 2))).toEqual([null, 1.5, 2.5]);
  });
});
