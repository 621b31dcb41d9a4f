/**
 * Every indicator by name, with its parameters, outputs and warm-up, so that services can
 * validate a request, fetch enough history before `from`, and name the outputs without knowing
 * each function's signature.
 */
import type { BarSeries } from '../series.js';
import { ema, sma, wma } from './moving-averages.js';
import { macd, momentum, roc, rsi, stochastic } from './momentum.js';
import { adx } from './trend.js';
import { atr, bollinger, donchian, volatility, zscore } from './volatility.js';
import { obv, vwap } from './volume.js';

export interface ParamSpec {
  name: string;
  default: number;
  min: number;
  max: number;
  integer: boolean;
  description: string;
}

export type Params = Record<string, number>;

export interface IndicatorSpec {
  name: string;
  description: string;
  params: readonly ParamSpec[];
  outputs: readonly string[];
  /** Index of the first defined value: bars needed before a value exists. */
  warmup(params: Params): number;
  compute(series: BarSeries, params: Params): Record<string, Float64Array>;
}

const period = (fallback: number, min = 1): ParamSpec => ({
  name: 'period',
  default: fallback,
  min,
  max: 10_000,
  integer: true,
  description: 'bars in the window',
});

const p = (params: Params, name: string): number => params[name] as number;

const specs: IndicatorSpec[] = [
  {
    name: 'sma',
    description: 'Simple moving average of the close',
    params: [period(20)],
    outputs: ['sma'],
    warmup: (x) => p(x, 'period') - 1,
    compute: (s, x) => ({ sma: sma(s.close, p(x, 'period')) }),
  },
  {
    name: 'ema',
    description: 'Exponential moving average of the close, α = 2/(n+1), SMA-seeded',
    params: [period(20)],
    outputs: ['ema'],
    warmup: (x) => p(x, 'period') - 1,
    compute: (s, x) => ({ ema: ema(s.close, p(x, 'period')) }),
  },
  {
    name: 'wma',
    description: 'Linearly weighted moving average of the close',
    params: [period(20)],
    outputs: ['wma'],
    warmup: (x) => p(x, 'period') - 1,
    compute: (s, x) => ({ wma: wma(s.close, p(x, 'period')) }),
  },
  {
    name: 'rsi',
    description: "Wilder's relative strength index",
    params: [period(14)],
    outputs: ['rsi'],
    warmup: (x) => p(x, 'period'),
    compute: (s, x) => ({ rsi: rsi(s.close, p(x, 'period')) }),
  },
  {
    name: 'macd',
    description: 'MACD line, signal line and histogram',
    params: [
      { name: 'fast', default: 12, min: 1, max: 10_000, integer: true, description: 'fast EMA period' },
      { name: 'slow', default: 26, min: 2, max: 10_000, integer: true, description: 'slow EMA period (> fast)' },
      { name: 'signal', default: 9, min: 1, max: 10_000, integer: true, description: 'signal EMA period' },
    ],
    outputs: ['macd', 'signal', 'histogram'],
    warmup: (x) => p(x, 'slow') + p(x, 'signal') - 2,
    compute: (s, x) => ({ ...macd(s.close, p(x, 'fast'), p(x, 'slow'), p(x, 'signal')) }),
  },
  {
    name: 'bollinger',
    description: 'Bollinger Bands: SMA ± k population standard deviations',
    params: [period(20, 2), { name: 'k', default: 2, min: 0, max: 100, integer: false, description: 'band width in σ' }],
    outputs: ['upper', 'middle', 'lower'],
    warmup: (x) => p(x, 'period') - 1,
    compute: (s, x) => ({ ...bollinger(s.close, p(x, 'period'), p(x, 'k')) }),
  },
  {
    name: 'atr',
    description: "Average true range, Wilder's smoothing",
    params: [period(14)],
    outputs: ['atr'],
    warmup: (x) => p(x, 'period') - 1,
    compute: (s, x) => ({ atr: atr(s.high, s.low, s.close, p(x, 'period')) }),
  },
  {
    name: 'stochastic',
    description: 'Stochastic oscillator %K and %D',
    params: [
      { name: 'k', default: 14, min: 1, max: 10_000, integer: true, description: 'look-back of highest high / lowest low' },
      { name: 'slowing', default: 3, min: 1, max: 10_000, integer: true, description: 'SMA smoothing of %K (1 = fast stochastic)' },
      { name: 'd', default: 3, min: 1, max: 10_000, integer: true, description: 'SMA period of %D' },
    ],
    outputs: ['k', 'd'],
    warmup: (x) => p(x, 'k') + p(x, 'slowing') + p(x, 'd') - 3,
    compute: (s, x) => ({ ...stochastic(s.high, s.low, s.close, p(x, 'k'), p(x, 'slowing'), p(x, 'd')) }),
  },
  {
    name: 'adx',
    description: 'Average directional index with +DI and −DI',
    params: [period(14, 2)],
    outputs: ['adx', 'plusDI', 'minusDI'],
    warmup: (x) => 2 * p(x, 'period') - 2,
    compute: (s, x) => {
      const { adx: line, plusDI, minusDI } = adx(s.high, s.low, s.close, p(x, 'period'));
      return { adx: line, plusDI, minusDI };
    },
  },
  {
    name: 'obv',
    description: 'On-balance volume',
    params: [],
    outputs: ['obv'],
    warmup: () => 0,
    compute: (s) => ({ obv: obv(s.close, s.volume) }),
  },
  {
    name: 'roc',
    description: 'Rate of change in percent',
    params: [period(10)],
    outputs: ['roc'],
    warmup: (x) => p(x, 'period'),
    compute: (s, x) => ({ roc: roc(s.close, p(x, 'period')) }),
  },
  {
    name: 'momentum',
    description: 'Price change over n bars',
    params: [period(10)],
    outputs: ['momentum'],
    warmup: (x) => p(x, 'period'),
    compute: (s, x) => ({ momentum: momentum(s.close, p(x, 'period')) }),
  },
  {
    name: 'zscore',
    description: 'Rolling z-score of the close (sample σ)',
    params: [period(20, 2)],
    outputs: ['zscore'],
    warmup: (x) => p(x, 'period') - 1,
    compute: (s, x) => ({ zscore: zscore(s.close, p(x, 'period')) }),
  },
  {
    name: 'volatility',
    description: 'Annualised rolling volatility of log returns',
    params: [
      period(20, 2),
      { name: 'barsPerYear', default: 252, min: 1, max: 1_000_000, integer: false, description: 'annualisation factor A' },
    ],
    outputs: ['volatility'],
    warmup: (x) => p(x, 'period'),
    compute: (s, x) => ({ volatility: volatility(s.close, p(x, 'period'), p(x, 'barsPerYear')) }),
  },
  {
    name: 'donchian',
    description: 'Donchian channel: highest high, lowest low and their mean',
    params: [period(20)],
    outputs: ['upper', 'middle', 'lower'],
    warmup: (x) => p(x, 'period') - 1,
    compute: (s, x) => ({ ...donchian(s.high, s.low, p(x, 'period')) }),
  },
  {
    name: 'vwap',
    description: 'Session volume-weighted average price',
    params: [
      { name: 'sessionOffsetMinutes', default: 0, min: -1440, max: 1440, integer: true, description: 'shift of the session start from 00:00 UTC' },
    ],
    outputs: ['vwap'],
    warmup: () => 0,
    compute: (s, x) => ({ vwap: vwap(s, p(x, 'sessionOffsetMinutes')) }),
  },
];

export const indicators: ReadonlyMap<string, IndicatorSpec> = new Map(specs.map((spec) => [spec.name, spec]));

export class IndicatorParamsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'IndicatorParamsError';
  }
}

/**
 * Parameters from a query string or JSON, defaults filled in. Throws IndicatorParamsError naming
 * every problem (unknown indicator with the valid names, out-of-range or unknown parameters).
 */
export function resolveIndicator(name: string, raw: Record<string, unknown>): { spec: IndicatorSpec; params: Params } {
  const spec = indicators.get(name);
  if (!spec) throw new IndicatorParamsError([`unknown indicator "${name}"; valid: ${[...indicators.keys()].join(', ')}`]);
  const problems: string[] = [];
  const params: Params = {};
  for (const param of spec.params) {
    const given = raw[param.name];
    const value = given === undefined || given === '' ? param.default : Number(given);
    const range = `${param.integer ? 'an integer' : 'a number'} in [${param.min}, ${param.max}]`;
    if (!Number.isFinite(value) || (param.integer && !Number.isInteger(value)) || value < param.min || value > param.max) {
      problems.push(`${name}.${param.name} must be ${range}, got ${String(given)}`);
    }
    params[param.name] = value;
  }
  const known = new Set(spec.params.map((param) => param.name));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) problems.push(`${name} has no parameter "${key}"; valid: ${[...known].join(', ') || 'none'}`);
  }
  if (name === 'macd' && problems.length === 0 && p(params, 'fast') >= p(params, 'slow')) problems.push('macd.fast must be less than macd.slow');
  if (problems.length > 0) throw new IndicatorParamsError(problems);
  return { spec, params };
}
