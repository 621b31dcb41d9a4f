import { describe, expect, it } from 'vitest';
import { bollinger, ema, eventsFrom, macd, parseRuleSpec, roc, rollingMax, rollingMin, rsi, ruleOutput, RuleSpecError, sma, type RuleOutput, type RuleSpec } from '../src/index.js';
import { closesOnly, ohlc, problemsOf, randomBars, thrown } from './helpers.js';

/**
 * Each rule's target and strength at every bar of a long random walk, against the rule's
 * definition written out bar by bar from the indicators it reads. The indicators are tested on
 * their own (indicators.*.test.ts); here it is the rule's use of them that is checked.
 */
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);
const orZero = (x: number): number => (Number.isFinite(x) ? x : 0);

function expectOutput(actual: RuleOutput, target: number[], strength: number[]): void {
  expect([...actual.target]).toEqual(target);
  expect(actual.strength).toHaveLength(strength.length);
  strength.forEach((s, i) => expect(actual.strength[i], `strength at ${i}`).toBeCloseTo(s, 12));
}

const walk = () => randomBars(300, 11);

describe('rule outputs, bar by bar', () => {
  it('ma-cross with EMAs: the sign of fast − slow, strength their gap over the slow average', () => {
    const bars = walk();
    const fast = ema(bars.close, 5);
    const slow = ema(bars.close, 20);
    const out = ruleOutput(bars, parseRuleSpec({ type: 'ma-cross', fast: 5, slow: 20, ma: 'ema' }));
    expectOutput(out, [...fast].map((f, i) => orZero(sign(f - (slow[i] as number)))), [...fast].map((f, i) => orZero(Math.abs(f - (slow[i] as number)) / Math.abs(slow[i] as number))));
    // The SMA version differs: the choice of average is used.
    const simple = ruleOutput(bars, parseRuleSpec({ type: 'ma-cross', fast: 5, slow: 20, ma: 'sma' }));
    const smaFast = sma(bars.close, 5);
    const smaSlow = sma(bars.close, 20);
    expect([...simple.target]).toEqual([...smaFast].map((f, i) => orZero(sign(f - (smaSlow[i] as number)))));
    expect([...simple.target]).not.toEqual([...out.target]);
  });

  it('macd-cross: the sign of the histogram, strength its size over the close', () => {
    const bars = walk();
    const { histogram } = macd(bars.close, 6, 13, 5);
    const out = ruleOutput(bars, parseRuleSpec({ type: 'macd-cross', fast: 6, slow: 13, signal: 5 }));
    expectOutput(out, [...histogram].map((h) => orZero(sign(h))), [...histogram].map((h, i) => orZero(Math.abs(h) / (bars.close[i] as number))));
    expect(out.target).toContain(1);
    expect(out.target).toContain(-1);
  });

  it('rsi-reversion: long from RSI < enterBelow until RSI > exitAbove; strength how far past the threshold', () => {
    const bars = walk();
    const values = rsi(bars.close, 5);
    const target: number[] = [];
    const strength: number[] = [];
    let held = 0;
    for (const r of values) {
      if (held === 0 && r < 35) held = 1;
      else if (held === 1 && r > 60) held = 0;
      target.push(held);
      strength.push(held === 1 ? Math.max(0, 35 - r) / 100 : Math.max(0, r - 60) / 100);
    }
    // Warm-up bars, with no RSI yet, have a strength of 0 as in every rule.
    expectOutput(ruleOutput(bars, parseRuleSpec({ type: 'rsi-reversion', period: 5, enterBelow: 35, exitAbove: 60 })), target, strength.map(orZero));
    expect(target).toContain(1);
  });

  it('rsi-reversion enters only strictly below enterBelow and leaves only strictly above exitAbove', () => {
    const bars = walk();
    const values = rsi(bars.close, 5);
    const finite = [...values].filter((r) => Number.isFinite(r));
    // enterBelow at the lowest RSI of the whole series: no bar is below it, so it never enters.
    const never = ruleOutput(bars, { type: 'rsi-reversion', period: 5, enterBelow: Math.min(...finite), exitAbove: 100 });
    expect(never.target).not.toContain(1);
    // exitAbove at the highest RSI after the first entry: no bar is above it, so it never leaves.
    const first = values.findIndex((r) => r < 50);
    const highest = Math.max(...[...values.subarray(first + 1)].filter((r) => Number.isFinite(r)));
    const kept = ruleOutput(bars, { type: 'rsi-reversion', period: 5, enterBelow: 50, exitAbove: highest });
    expect([...kept.target.subarray(first)].every((t) => t === 1)).toBe(true);
    expect(kept.target[first - 1]).toBe(0);
  });

  it('holds no view on a flat series, where every difference is exactly zero', () => {
    const flat = closesOnly(new Array<number>(60).fill(100));
    for (const spec of [{ type: 'macd-cross', fast: 3, slow: 8, signal: 3 }, { type: 'ma-cross', fast: 3, slow: 8 }, { type: 'momentum', period: 5, threshold: 0 }, { type: 'bollinger', period: 5, k: 1, mode: 'breakout' }, { type: 'donchian-breakout', period: 5 }]) {
      const out = ruleOutput(flat, parseRuleSpec(spec));
      expect([...out.target], spec.type).toEqual(new Array(60).fill(0));
      expect([...out.strength], spec.type).toEqual(new Array(60).fill(0));
    }
  });

  it.each(['breakout', 'reversion'] as const)('bollinger (%s): enters beyond a band, leaves at the middle; strength the distance past the band over its width', (mode) => {
    const bars = walk();
    const bands = bollinger(bars.close, 10, 1.5);
    const target: number[] = [];
    const strength: number[] = [];
    let held = 0;
    bars.close.forEach((c, i) => {
      const upper = bands.upper[i] as number;
      const lower = bands.lower[i] as number;
      const middle = bands.middle[i] as number;
      if (mode === 'breakout') {
        if (c > upper) held = 1;
        else if (c < lower) held = -1;
        else if (held === 1 && c < middle) held = 0;
        else if (held === -1 && c > middle) held = 0;
      } else {
        if (c > upper) held = -1;
        else if (c < lower) held = 1;
        else if (held === 1 && c >= middle) held = 0;
        else if (held === -1 && c <= middle) held = 0;
      }
      target.push(held);
      const width = upper - lower;
      strength.push(width > 0 ? Math.max(0, c - upper, lower - c) / width : 0);
    });
    const out = ruleOutput(bars, parseRuleSpec({ type: 'bollinger', period: 10, k: 1.5, mode }));
    expectOutput(out, target, strength);
    expect(target).toContain(1);
    expect(target).toContain(-1);
    expect(target).toContain(0);
  });

  it('bollinger: a breakout holds at the middle band itself, a reversion leaves there', () => {
    // Period 2: the middle band is the mean of two closes, so a repeated close sits exactly on it.
    const spec = (mode: 'breakout' | 'reversion') => parseRuleSpec({ type: 'bollinger', period: 2, k: 0.5, mode });
    const up = closesOnly([10, 10, 12, 12]);
    const down = closesOnly([10, 10, 8, 8]);
    expect([...ruleOutput(up, spec('breakout')).target]).toEqual([0, 0, 1, 1]);
    expect([...ruleOutput(up, spec('reversion')).target]).toEqual([0, 0, -1, 0]);
    expect([...ruleOutput(down, spec('breakout')).target]).toEqual([0, 0, -1, -1]);
    expect([...ruleOutput(down, spec('reversion')).target]).toEqual([0, 0, 1, 0]);
  });

  it('donchian-breakout: strength how far the close broke the channel of the bars before, over that channel edge', () => {
    const bars = walk();
    const hi = rollingMax(bars.high, 15);
    const lo = rollingMin(bars.low, 15);
    const target: number[] = [0];
    const strength: number[] = [0];
    let held = 0;
    for (let i = 1; i < bars.close.length; i++) {
      const c = bars.close[i] as number;
      const h = hi[i - 1] as number;
      const l = lo[i - 1] as number;
      if (c > h) held = 1;
      else if (c < l) held = -1;
      target.push(held);
      strength.push(c > h ? (c - h) / h : c < l ? (l - c) / l : 0);
    }
    const out = ruleOutput(bars, parseRuleSpec({ type: 'donchian-breakout', period: 15 }));
    expectOutput(out, target, strength);
    expect(strength.some((s) => s > 0)).toBe(true);
  });

  it('donchian-breakout needs a close strictly beyond the channel', () => {
    // Bars 0–2 span 9..11; bar 3 closes exactly at the low 9 (no break), bar 4 below it.
    const out = ruleOutput(ohlc([[10, 11, 9, 10], [10, 11, 9, 10], [10, 11, 9, 10], [9, 10, 9, 9], [9, 9, 8, 8.5]]), parseRuleSpec({ type: 'donchian-breakout', period: 3 }));
    expect([...out.target]).toEqual([0, 0, 0, 0, -1]);
    expect(out.strength[3]).toBe(0);
    expect(out.strength[4]).toBeCloseTo(0.5 / 9, 12);
  });

  it('momentum: long above the threshold, short below its negative, strength the rate of change in percent over 100', () => {
    const bars = walk();
    const values = roc(bars.close, 10);
    const out = ruleOutput(bars, parseRuleSpec({ type: 'momentum', period: 10, threshold: 2 }));
    expectOutput(out, [...values].map((r) => (r > 2 ? 1 : r < -2 ? -1 : 0)), [...values].map((r) => (Number.isNaN(r) ? 0 : Math.abs(r) / 100)));
    expect(out.target).toContain(1);
    expect(out.target).toContain(-1);
  });

  it('momentum at exactly the threshold stays flat', () => {
    // A 25 % rise over one bar is exactly the threshold; 25 % down likewise (both exact in binary).
    const out = ruleOutput(closesOnly([100, 125, 93.75, 93.75, 125]), { type: 'momentum', period: 1, threshold: 25 });
    expect([...out.target]).toEqual([0, 0, 0, 0, 1]);
  });

  it('seasonality with fixed months: long in those months only', () => {
    const ts = [Date.UTC(2020, 0, 15), Date.UTC(2020, 1, 15), Date.UTC(2020, 10, 15), Date.UTC(2020, 11, 15)];
    const series = closesOnly([1, 1, 1, 1]);
    series.ts.set(ts);
    const out = ruleOutput(series, parseRuleSpec({ type: 'seasonality', months: [1, 12] }));
    expect([...out.target]).toEqual([1, 0, 0, 1]);
  });

  it('seasonality by ranking: after minYears, long in the months that rose most on average, never in one that fell', () => {
    // Monthly bars for four years: January +10 %, March +2 %, every other month −1 %.
    const closes: number[] = [];
    const ts: number[] = [];
    let price = 100;
    for (let year = 2016; year < 2020; year++) {
      for (let month = 0; month < 12; month++) {
        price *= month === 0 ? 1.1 : month === 2 ? 1.02 : 0.99;
        closes.push(price);
        ts.push(Date.UTC(year, month, 28));
      }
    }
    const series = closesOnly(closes);
    series.ts.set(ts);
    const top2 = ruleOutput(series, parseRuleSpec({ type: 'seasonality', top: 2, minYears: 2 }));
    const held = (year: number) => [...top2.target.subarray((year - 2016) * 12, (year - 2015) * 12)];
    expect(held(2016)).toEqual(new Array(12).fill(0));
    expect(held(2017)).toEqual(new Array(12).fill(0));
    // From 2018 on, two full years of history: January and March.
    expect(held(2018)).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(held(2019)).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // With top 5, the three falling months are still left out.
    const top5 = ruleOutput(series, parseRuleSpec({ type: 'seasonality', top: 5, minYears: 1 }));
    expect([...top5.target.subarray(36, 48)]).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const top1 = ruleOutput(series, parseRuleSpec({ type: 'seasonality', top: 1, minYears: 1 }));
    expect([...top1.target.subarray(36, 48)]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('all / any: agreement of every leg or of the legs that hold a view; strength the mean of the legs', () => {
    const bars = walk();
    const legs: RuleSpec[] = [parseRuleSpec({ type: 'momentum', period: 5, threshold: 1 }), parseRuleSpec({ type: 'ma-cross', fast: 3, slow: 12 })];
    const [a, b] = legs.map((leg) => ruleOutput(bars, leg)) as [RuleOutput, RuleOutput];
    const all = ruleOutput(bars, { type: 'all', rules: legs });
    const any = ruleOutput(bars, { type: 'any', rules: legs });
    const n = bars.close.length;
    const allTarget: number[] = [];
    const anyTarget: number[] = [];
    const strength: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = a.target[i] as number;
      const y = b.target[i] as number;
      allTarget.push(x === y ? x : 0);
      anyTarget.push(x >= 0 && y >= 0 && x + y > 0 ? 1 : x <= 0 && y <= 0 && x + y < 0 ? -1 : 0);
      strength.push(((a.strength[i] as number) + (b.strength[i] as number)) / 2);
    }
    expectOutput(all, allTarget, strength);
    expectOutput(any, anyTarget, strength);
    expect(allTarget).not.toEqual(anyTarget);
  });

  it('events: one per change of target, buy when it rises, sell when it falls, with the strength of that bar', () => {
    const events = eventsFrom([1, 2, 3, 4, 5, 6], { target: Int8Array.from([0, 1, 1, -1, 0, 0]), strength: Float64Array.from([0, 0.5, 0.1, 0.7, 0.2, 0]) });
    expect(events).toEqual([
      { index: 1, ts: 2, side: 'buy', target: 1, strength: 0.5 },
      { index: 3, ts: 4, side: 'sell', target: -1, strength: 0.7 },
      { index: 4, ts: 5, side: 'buy', target: 0, strength: 0.2 },
    ]);
  });
});

describe('rule spec checks', () => {
  it('names the error and lists each problem with its path in the message', () => {
    const error = thrown<RuleSpecError>(() => parseRuleSpec({ type: 'all', rules: [{ type: 'ma-cross', fast: 0 }, 'x'] }));
    expect(error.name).toBe('RuleSpecError');
    expect(error.message).toBe('/rules/0/fast: must be >= 1; /rules/1: a rule must be an object with a "type"');
    expect(new RuleSpecError([{ path: '', message: 'm' }]).message).toBe('/: m');
  });

  it('refuses arrays and null as rules, and unknown properties of a combinator', () => {
    expect(problemsOf([{ type: 'ma-cross' }])).toEqual([{ path: '', message: 'a rule must be an object with a "type"' }]);
    expect(problemsOf(null)).toEqual([{ path: '', message: 'a rule must be an object with a "type"' }]);
    expect(problemsOf({ type: 'any', rules: [{ type: 'ma-cross' }], weight: 2 })).toEqual([{ path: '/weight', message: 'unknown property; any takes only "rules"' }]);
  });

  it('takes 16 legs and four levels of nesting, not 17 or five', () => {
    const leg = { type: 'momentum' };
    expect(problemsOf({ type: 'all', rules: new Array(16).fill(leg) })).toEqual([]);
    expect(problemsOf({ type: 'all', rules: new Array(17).fill(leg) })).toEqual([{ path: '/rules', message: 'must be an array of 1 to 16 rules' }]);
    const nest = (depth: number): unknown => (depth === 0 ? leg : { type: 'any', rules: [nest(depth - 1)] });
    expect(problemsOf(nest(4))).toEqual([]);
    expect(problemsOf(nest(5))).toEqual([{ path: '/rules/0/rules/0/rules/0/rules/0', message: 'rules nest at most 4 levels deep' }]);
  });

  it('needs fast below slow for both crosses, and enterBelow below exitAbove', () => {
    expect(problemsOf({ type: 'macd-cross', fast: 12, slow: 12 })).toEqual([{ path: '/fast', message: 'must be less than slow (12)' }]);
    expect(problemsOf({ type: 'ma-cross', fast: 20, slow: 20 })).toEqual([{ path: '/fast', message: 'must be less than slow (20)' }]);
    expect(problemsOf({ type: 'ma-cross', fast: 19, slow: 20 })).toEqual([]);
    expect(problemsOf({ type: 'rsi-reversion', enterBelow: 50, exitAbove: 50 })).toEqual([{ path: '/enterBelow', message: 'must be below exitAbove (50)' }]);
    expect(problemsOf({ type: 'rsi-reversion', enterBelow: 49, exitAbove: 50 })).toEqual([]);
    // Other rules have no such pair.
    expect(problemsOf({ type: 'bollinger', period: 20 })).toEqual([]);
  });

  it('reports every bad leg of a combinator, not only the first', () => {
    expect(problemsOf({ type: 'any', rules: [{ type: 'nope' }, { type: 'momentum' }, { type: 'ma-cross', fast: 0 }] })).toEqual([
      { path: '/rules/0/type', message: expect.stringContaining('unknown rule "nope"') },
      { path: '/rules/2/fast', message: 'must be >= 1' },
    ]);
    expect(problemsOf({ type: 7 })).toEqual([{ path: '/type', message: expect.stringContaining('unknown rule 7') }]);
  });
});
