/**
 * The quant core against its peers, in one run on the same bars:
 *
 *   npm run bench:quant                       (1,000,000 synthetic bars, 15 timed runs each)
 *   BENCH_BARS=200000 BENCH_ITERATIONS=3 npm run bench:quant
 *
 * 1. SMA, EMA, RSI, MACD, Bollinger and ATR from @meridian/market, `technicalindicators`,
 *    `trading-signals` and a hand-written single-pass loop (the practical floor).
 * 2. A full SMA-crossover backtest with fees and slippage over the same bars.
 * 3. A 1,000-combination SMA-crossover grid over the S&P 500 daily bars from vega-datasets.
 * Peer inputs are converted to their own formats (plain arrays, candle objects) before timing;
 * contenders run round-robin and each reports its median (tools/bench/lib/interleave.ts).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { atr, bollinger, ema, expandGrid, macd, parseBacktestConfig, rsi, runBacktest, sma, toSeries } from '@meridian/market';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import { sp500File } from '../data/demo.js';
import { syntheticBars } from '../data/synthetic.js';
import { interleave } from './lib/interleave.js';
import { log, ratio } from './lib/load.js';

const BARS = Number(process.env.BENCH_BARS ?? 1_000_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 15);
// Enough calls for the JIT to optimise every contender before timing starts.
const WARMUP = 3;

log(`generating ${BARS.toLocaleString('en')} synthetic bars`);
const series = toSeries([...syntheticBars({ seed: 42, interval: '1m', rows: BARS, start: Date.UTC(2015, 0, 5) })]);
const close = series.close;
const closes = Array.from(close);
const highs = Array.from(series.high);
const lows = Array.from(series.low);
const candles = closes.map((c, i) => ({ high: highs[i] as number, low: lows[i] as number, close: c }));

// ---- the practical floor: one pass, no allocation beyond the output --------------------------

const floor = {
  sma(values: Float64Array, n: number): Float64Array {
    const out = new Float64Array(values.length);
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      sum += values[i] as number;
      if (i >= n) sum -= values[i - n] as number;
      out[i] = i >= n - 1 ? sum / n : Number.NaN;
    }
    return out;
  },
  ema(values: Float64Array, n: number): Float64Array {
    const out = new Float64Array(values.length);
    const k = 2 / (n + 1);
    let prev = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (i < n - 1) {
        prev += v;
        out[i] = Number.NaN;
      } else if (i === n - 1) out[i] = prev = (prev + v) / n;
      else out[i] = prev += k * (v - prev);
    }
    return out;
  },
  rsi(values: Float64Array, n: number): Float64Array {
    const out = new Float64Array(values.length).fill(Number.NaN);
    let gain = 0;
    let loss = 0;
    for (let i = 1; i < values.length; i++) {
      const d = (values[i] as number) - (values[i - 1] as number);
      const g = d > 0 ? d : 0;
      const l = d < 0 ? -d : 0;
      if (i <= n) {
        gain += g / n;
        loss += l / n;
        if (i < n) continue;
      } else {
        gain = (gain * (n - 1) + g) / n;
        loss = (loss * (n - 1) + l) / n;
      }
      out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
    }
    return out;
  },
  macd(values: Float64Array): Float64Array[] {
    // Both EMAs and the signal in one pass, all three outputs kept.
    const n = values.length;
    const line = new Float64Array(n).fill(Number.NaN);
    const signalLine = new Float64Array(n).fill(Number.NaN);
    const histogram = new Float64Array(n).fill(Number.NaN);
    let fast = 0;
    let slow = 0;
    let signal = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i] as number;
      if (i < 12) fast += v / 12;
      else fast += (2 / 13) * (v - fast);
      if (i < 26) slow += v / 26;
      else slow += (2 / 27) * (v - slow);
      if (i < 25) continue;
      const m = fast - slow;
      line[i] = m;
      if (i < 34) signal += m / 9;
      else signal += 0.2 * (m - signal);
      if (i >= 33) {
        signalLine[i] = signal;
        histogram[i] = m - signal;
      }
    }
    return [line, signalLine, histogram];
  },
  bollinger(values: Float64Array, n: number): Float64Array[] {
    const upper = new Float64Array(values.length).fill(Number.NaN);
    const middle = new Float64Array(values.length).fill(Number.NaN);
    const lower = new Float64Array(values.length).fill(Number.NaN);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      sum += v;
      sq += v * v;
      if (i >= n) {
        const o = values[i - n] as number;
        sum -= o;
        sq -= o * o;
      }
      if (i >= n - 1) {
        const mean = sum / n;
        const sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
        upper[i] = mean + 2 * sd;
        middle[i] = mean;
        lower[i] = mean - 2 * sd;
      }
    }
    return [upper, middle, lower];
  },
  atr(h: Float64Array, l: Float64Array, c: Float64Array, n: number): Float64Array {
    const out = new Float64Array(c.length).fill(Number.NaN);
    let value = 0;
    for (let i = 0; i < c.length; i++) {
      const tr = i === 0 ? (h[0] as number) - (l[0] as number) : Math.max((h[i] as number) - (l[i] as number), Math.abs((h[i] as number) - (c[i - 1] as number)), Math.abs((l[i] as number) - (c[i - 1] as number)));
      if (i < n) {
        value += tr / n;
        if (i === n - 1) out[i] = value;
      } else out[i] = value = (value * (n - 1) + tr) / n;
    }
    return out;
  },
};

/**
 * Feeds every price to a trading-signals indicator and keeps each result, so that it produces
 * the same series the others return (its own API keeps only the latest value).
 */
function stream<T, R>(indicator: { add(value: T): R | null }, values: readonly T[], keep: (i: number, result: R | null) => void): void {
  for (let i = 0; i < values.length; i++) keep(i, indicator.add(values[i] as T));
}

function streamSeries<T>(indicator: { add(value: T): number | null }, values: readonly T[]): Float64Array {
  const out = new Float64Array(values.length);
  stream(indicator, values, (i, r) => (out[i] = r ?? Number.NaN));
  return out;
}

function streamBands<T>(indicator: { add(value: T): Record<string, number> | null }, values: readonly T[], names: readonly string[]): Float64Array[] {
  const outs = names.map(() => new Float64Array(values.length));
  stream(indicator, values, (i, r) => names.forEach((name, k) => ((outs[k] as Float64Array)[i] = r?.[name] ?? Number.NaN)));
  return outs;
}

type Contender = 'meridian' | 'technicalindicators' | 'trading-signals' | 'floor';
const cases: { name: string; tasks: Record<Contender, () => unknown> }[] = [
  {
    name: 'SMA(20)',
    tasks: {
      meridian: () => sma(close, 20),
      technicalindicators: () => ti.SMA.calculate({ period: 20, values: closes }),
      'trading-signals': () => streamSeries(new ts.SMA(20), closes),
      floor: () => floor.sma(close, 20),
    },
  },
  {
    name: 'EMA(20)',
    tasks: {
      meridian: () => ema(close, 20),
      technicalindicators: () => ti.EMA.calculate({ period: 20, values: closes }),
      'trading-signals': () => streamSeries(new ts.EMA(20), closes),
      floor: () => floor.ema(close, 20),
    },
  },
  {
    name: 'RSI(14)',
    tasks: {
      meridian: () => rsi(close, 14),
      technicalindicators: () => ti.RSI.calculate({ period: 14, values: closes }),
      'trading-signals': () => streamSeries(new ts.RSI(14), closes),
      floor: () => floor.rsi(close, 14),
    },
  },
  {
    name: 'MACD(12,26,9)',
    tasks: {
      meridian: () => macd(close, 12, 26, 9),
      technicalindicators: () => ti.MACD.calculate({ values: closes, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false }),
      'trading-signals': () => streamBands(new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9)), closes, ['macd', 'signal', 'histogram']),
      floor: () => floor.macd(close),
    },
  },
  {
    name: 'Bollinger(20,2)',
    tasks: {
      meridian: () => bollinger(close, 20, 2),
      technicalindicators: () => ti.BollingerBands.calculate({ period: 20, values: closes, stdDev: 2 }),
      'trading-signals': () => streamBands(new ts.BollingerBands(20, 2), closes, ['upper', 'middle', 'lower']),
      floor: () => floor.bollinger(close, 20),
    },
  },
  {
    name: 'ATR(14)',
    tasks: {
      meridian: () => atr(series.high, series.low, close, 14),
      technicalindicators: () => ti.ATR.calculate({ period: 14, high: highs, low: lows, close: closes }),
      'trading-signals': () => streamSeries(new ts.ATR(14), candles),
      floor: () => floor.atr(series.high, series.low, close, 14),
    },
  },
];

const rows: string[] = [];
let allMet = true;
for (const { name, tasks } of cases) {
  const ms = interleave(tasks, { rounds: ITERATIONS, warmup: WARMUP });
  const vsTi = ratio(ms.technicalindicators, ms.meridian);
  const vsTs = ratio(ms['trading-signals'], ms.meridian);
  const vsFloor = ratio(ms.meridian, ms.floor);
  const met = vsTi >= 20 && vsTs >= 3 && vsFloor <= 2;
  allMet &&= met;
  // The best ratio any implementation could show against a peer is the peer's time over the floor's.
  const bestTi = ratio(ms.technicalindicators, ms.floor);
  const bestTs = ratio(ms['trading-signals'], ms.floor);
  rows.push(
    `| ${name} | ${ms.meridian.toFixed(1)} | ${ms.technicalindicators.toFixed(0)} | ${ms['trading-signals'].toFixed(0)} | ${ms.floor.toFixed(1)} | ${vsTi}× (floor ${bestTi}×) | ${vsTs}× (floor ${bestTs}×) | ${vsFloor}× | ${met ? '✔' : '✘'} |`,
  );
  log(`${name}: meridian ${ms.meridian.toFixed(1)} ms, technicalindicators ${vsTi}× slower, trading-signals ${vsTs}× slower, ${vsFloor}× the floor`);
}

// ---- backtest over the same bars ------------------------------------------------------------

const config = parseBacktestConfig({ fees: { rate: 0.0005, fixed: 1 }, slippageBps: 2, barsPerYear: 252 * 390 });
const crossover = (fast: Float64Array, slow: Float64Array) => {
  const target = new Int8Array(fast.length);
  for (let i = 0; i < fast.length; i++) target[i] = (fast[i] as number) > (slow[i] as number) ? 1 : 0;
  return target;
};
// A sweep worker runs the engine over and over: time it once the JIT has optimised the loop.
let lastFills = 0;
const backtestMs = interleave(
  {
    backtest: () => {
      lastFills = runBacktest(series, crossover(sma(close, 20), sma(close, 100)), config).fills;
    },
  },
  { rounds: ITERATIONS, warmup: 8 },
).backtest;
log(`SMA(20/100) crossover backtest over ${BARS.toLocaleString('en')} bars: ${backtestMs.toFixed(1)} ms, ${lastFills} fills`);

// ---- a 1,000-combination grid over the S&P 500 ----------------------------------------------

const spx = toSeries(
  readFileSync(sp500File(), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [date, open, high, low, c, , volume] = line.split(',');
      return { ts: `${date}T00:00:00Z`, open: Number(open), high: Number(high), low: Number(low), close: Number(c), volume: Number(volume) };
    }),
);
const grid = expandGrid({ fast: { from: 2, to: 101, step: 1 }, slow: { from: 110, to: 290, step: 20 } });
const spxConfig = parseBacktestConfig({ fees: { rate: 0.0005, fixed: 0 }, slippageBps: 2 });
let gridFills = 0;
const runGrid = () => {
  // Each distinct window is averaged once per run, as a sweep worker would.
  const cache = new Map<number, Float64Array>();
  const average = (n: number) => {
    let values = cache.get(n);
    if (!values) cache.set(n, (values = sma(spx.close, n)));
    return values;
  };
  gridFills = 0;
  for (const { fast, slow } of grid) gridFills += runBacktest(spx, crossover(average(fast as number), average(slow as number)), spxConfig).fills;
};
const gridMs = interleave({ grid: runGrid }, { rounds: ITERATIONS, warmup: WARMUP }).grid;
const ordersPerSecond = gridFills / (gridMs / 1000);
log(`grid: ${grid.length} combinations × ${spx.close.length} bars in ${gridMs.toFixed(1)} ms, ${gridFills} fills (${Math.round(ordersPerSecond).toLocaleString('en')} orders/s)`);

const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(`
Quant core, ${BARS.toLocaleString('en')} synthetic bars, median of ${ITERATIONS} interleaved runs (${availableParallelism()} × ${cpu}, Node ${process.version})

| indicator | meridian ms | technicalindicators ms | trading-signals ms | floor ms | technicalindicators / meridian (≥ 20) | trading-signals / meridian (≥ 3) | meridian / floor (≤ 2) | |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

| run | figure | target | |
|---|---|---|---|
| SMA(20/100) crossover backtest, fees + slippage, ${BARS.toLocaleString('en')} bars | ${backtestMs.toFixed(1)} ms (${lastFills.toLocaleString('en')} fills) | ≤ 50 ms | ${backtestMs <= 50 ? '✔' : '✘'} |
| ${grid.length}-combination SMA grid over S&P 500 daily (${spx.close.length} bars) | ${gridMs.toFixed(0)} ms, ${gridFills.toLocaleString('en')} orders → ${Math.round(ordersPerSecond).toLocaleString('en')} orders/s | ≤ 1,000 ms | ${gridMs <= 1000 ? '✔' : '✘'} |
`);
if (!allMet) log('some indicator ratios miss their targets (see ✘)');
