import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adx, atr, bollinger, ema, obv, roc, rollingStd, rsi, sma, stochastic, trueRange, wma } from '../src/index.js';
import { expectSeries } from './helpers.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));
const atoz = load('achelis-atoz.json').cases;
const stockcharts = load('stockcharts-moving-averages.json');

// The book prints 4 decimals and Tulip corrected a few by hand: half a unit in the last place
// plus the book's own rounding of intermediate steps.
const BOOK = 6e-4;

describe('indicators match the published worked examples', () => {
  it('SMA(5), Achelis p. 207', () => {
    const c = atoz.sma;
    expectSeries(sma(c.close, c.period), c.firstIndex, c.expected, BOOK);
  });

  it('WMA(5), Achelis p. 213', () => {
    const c = atoz.wma;
    expectSeries(wma(c.close, c.period), c.firstIndex, c.expected, BOOK);
  });

  it('RSI(5) with Wilder smoothing, Achelis p. 299', () => {
    const c = atoz.rsi;
    expectSeries(rsi(c.close, c.period), c.firstIndex, c.expected, BOOK);
  });

  it('Bollinger Bands(5, 2) with the population σ, Achelis p. 73', () => {
    const c = atoz.bollinger;
    const bands = bollinger(c.close, c.period, c.k);
    expectSeries(bands.upper, c.firstIndex, c.upper, BOOK);
    expectSeries(bands.middle, c.firstIndex, c.middle, BOOK);
    expectSeries(bands.lower, c.firstIndex, c.lower, BOOK);
  });

  it('standard deviation(5), Achelis p. 309', () => {
    const c = atoz.stddev;
    expectSeries(rollingStd(c.close, c.period, 0), c.firstIndex, c.expected, BOOK);
  });

  it('true range with TR₀ = high − low, Achelis p. 70', () => {
    const c = atoz.trueRange;
    expectSeries(trueRange(c.high, c.low, c.close), c.firstIndex, c.expected, BOOK);
  });

  it('ATR(4) seeded with the mean of TR₀..TR₃, Achelis p. 70', () => {
    const c = atoz.atr;
    expectSeries(atr(c.high, c.low, c.close, c.period), c.firstIndex, c.expected, BOOK);
  });

  it('Stochastic(5, 3, 3), Achelis p. 325', () => {
    const c = atoz.stochastic;
    const s = stochastic(c.high, c.low, c.close, c.k, c.slowing, c.d);
    // Tulip aligns %K with %D; ours starts as soon as it exists, at (k − 1) + (slowing − 1).
    expectSeries(s.k, c.firstIndex, c.expectedK, BOOK, c.k + c.slowing - 2);
    expectSeries(s.d, c.firstIndex, c.expectedD, BOOK);
  });

  it('OBV starting at 0, Achelis p. 231', () => {
    const c = atoz.obv;
    expectSeries(obv(c.close, c.volume), c.firstIndex, c.expected, 0);
  });

  it('ROC(12) as 100·(ratio − 1), Achelis p. 197', () => {
    const c = atoz.rocRatio;
    expectSeries(roc(c.close, c.period), c.firstIndex, c.expected.map((ratio: number) => 100 * (ratio - 1)), 100 * BOOK);
  });

  it('+DI, −DI, DX and ADX(14), Achelis companion spreadsheet', () => {
    const c = atoz.directional;
    const d = adx(c.high, c.low, c.close, c.period);
    expectSeries(d.plusDI, c.plusDI.firstIndex, c.plusDI.expected, BOOK);
    expectSeries(d.minusDI, c.minusDI.firstIndex, c.minusDI.expected, BOOK);
    expectSeries(d.dx, c.dx.firstIndex, c.dx.expected, BOOK);
    expectSeries(d.adx, c.adx.firstIndex, c.adx.expected, BOOK);
  });

  it('SMA(10) and SMA-seeded EMA(10), StockCharts worked spreadsheet', () => {
    // Published to 2 decimals; the EMA column carries the sheet's own rounding from row to row,
    // so it may be a cent away while the SMA column is within half a cent.
    expectSeries(sma(stockcharts.close, stockcharts.period), stockcharts.firstIndex, stockcharts.sma, 0.005 + 1e-9);
    expectSeries(ema(stockcharts.close, stockcharts.period), stockcharts.firstIndex, stockcharts.ema, 0.01);
  });

  it('every fixture names its source', () => {
    expect(load('achelis-atoz.json').source).toMatch(/Achelis/);
    expect(stockcharts.source).toMatch(/StockCharts/);
  });
});
