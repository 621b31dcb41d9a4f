import { describe, expect, it } from 'vitest';
import { evaluateRule, parseRuleSpec, ruleTypes, sliceSeries, type RuleSpec } from '../src/index.js';
import { closesOnly, problemsOf, randomBars } from './helpers.js';

describe('rule specs', () => {
  it('fills defaults so that a bare type is a complete rule', () => {
    expect(parseRuleSpec({ type: 'ma-cross' })).toEqual({ type: 'ma-cross', fast: 10, slow: 50, ma: 'sma' });
    expect(parseRuleSpec({ type: 'rsi-reversion', period: 7 })).toEqual({ type: 'rsi-reversion', period: 7, enterBelow: 30, exitAbove: 70 });
  });

  it('rejects an unknown rule by listing the valid types', () => {
    expect(problemsOf({ type: 'golden-cross' })).toEqual([{ path: '/type', message: `unknown rule "golden-cross"; valid: ${ruleTypes.join(', ')}` }]);
    expect(problemsOf(42)).toEqual([{ path: '', message: 'a rule must be an object with a "type"' }]);
  });

  it('names the parameter at fault, with its path inside combinators', () => {
    expect(problemsOf({ type: 'ma-cross', fast: 0 })).toEqual([{ path: '/fast', message: 'must be >= 1' }]);
    expect(problemsOf({ type: 'ma-cross', fast: 60, slow: 20 })).toEqual([{ path: '/fast', message: 'must be less than slow (20)' }]);
    expect(problemsOf({ type: 'momentum', lookback: 5 })[0]?.path).toBe('/lookback');
    expect(problemsOf({ type: 'all', rules: [{ type: 'ma-cross' }, { type: 'bollinger', k: -1 }] })).toEqual([
      { path: '/rules/1/k', message: 'must be > 0' },
    ]);
    expect(problemsOf({ type: 'any', rules: [] })).toEqual([{ path: '/rules', message: 'must be an array of 1 to 16 rules' }]);
  });
});

describe('rule targets', () => {
  it('ma-cross goes long when the fast average crosses above the slow one and emits one buy there', () => {
    const closes = [10, 10, 10, 10, 9, 8, 7, 8, 9, 10, 11, 12, 13];
    const result = evaluateRule(closesOnly(closes), parseRuleSpec({ type: 'ma-cross', fast: 2, slow: 4 }));
    expect([...result.target]).toEqual([0, 0, 0, 0, -1, -1, -1, -1, 1, 1, 1, 1, 1]);
    expect(result.events.map((e) => [e.index, e.side, e.target])).toEqual([
      [4, 'sell', -1],
      [8, 'buy', 1],
    ]);
    expect(result.events[1]?.strength).toBeGreaterThan(0);
  });

  it('rsi-reversion enters below the lower threshold and stays long until RSI exceeds the upper one', () => {
    const closes = [50, 49, 48, 47, 46, 45, 46, 47, 48, 49, 50, 51, 52, 53];
    const out = evaluateRule(closesOnly(closes), parseRuleSpec({ type: 'rsi-reversion', period: 3, enterBelow: 30, exitAbove: 80 }));
    expect([...out.target]).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('donchian-breakout reverses on a close beyond the previous n-bar channel', () => {
    const closes = [10, 11, 10, 11, 12, 11, 10, 9, 10];
    const out = evaluateRule(closesOnly(closes), parseRuleSpec({ type: 'donchian-breakout', period: 3 }));
    // Bar 4 breaks the 10–11 channel of bars 1–3; bar 6 closes below the low (11) of bars 3–5.
    expect([...out.target]).toEqual([0, 0, 0, 0, 1, 1, -1, -1, -1]);
  });

  it('momentum is long above +threshold and short below −threshold', () => {
    const closes = [100, 100, 103, 100, 96];
    const out = evaluateRule(closesOnly(closes), parseRuleSpec({ type: 'momentum', period: 1, threshold: 2 }));
    expect([...out.target]).toEqual([0, 0, 1, -1, -1]);
  });

  it('seasonality with fixed months is long exactly in those months', () => {
    const series = randomBars(400, 5, Date.UTC(2021, 0, 1));
    const out = evaluateRule(series, parseRuleSpec({ type: 'seasonality', months: [11, 12] }));
    series.ts.forEach((t, i) => expect(out.target[i]).toBe([10, 11].includes(new Date(t).getUTCMonth()) ? 1 : 0));
  });

  it('seasonality ranks months on past years only and waits for minYears of history', () => {
    // December always rises 10 %, every other month is flat: after two years December is the only strong month.
    const closes: number[] = [];
    const ts: number[] = [];
    let price = 100;
    for (let year = 2015; year <= 2018; year++) {
      for (let month = 0; month < 12; month++) {
        for (let day = 1; day <= 20; day++) {
          if (month === 11) price *= 1.1 ** (1 / 20);
          closes.push(price);
          ts.push(Date.UTC(year, month, day));
        }
      }
    }
    const series = closesOnly(closes);
    series.ts.set(ts);
    const out = evaluateRule(series, parseRuleSpec({ type: 'seasonality', top: 1, minYears: 2 }));
    const longMonths = new Set(ts.filter((_, i) => out.target[i] === 1).map((t) => new Date(t).toISOString().slice(0, 7)));
    expect([...longMonths]).toEqual(['2017-12', '2018-12']);
  });

  it('all needs every leg to agree; any takes a side nobody opposes', () => {
    const closes = [10, 10, 10, 10, 9, 8, 7, 8, 9, 10, 11, 12, 13];
    const series = closesOnly(closes);
    const fast = { type: 'ma-cross', fast: 2, slow: 4 };
    const mom = { type: 'momentum', period: 1, threshold: 0 };
    const single = (rule: unknown) => [...evaluateRule(series, parseRuleSpec(rule)).target];
    const a = single(fast);
    const b = single(mom);
    const all = single({ type: 'all', rules: [fast, mom] });
    const any = single({ type: 'any', rules: [fast, mom] });
    a.forEach((x, i) => {
      const y = b[i] as number;
      expect(all[i]).toBe(x === y ? x : 0);
      expect(any[i]).toBe(x >= 0 && y >= 0 ? Math.max(x, y) : x <= 0 && y <= 0 ? Math.min(x, y) : 0);
    });
  });
});

describe('no look-ahead', () => {
  const series = randomBars(600, 21);
  const specs: unknown[] = [
    { type: 'ma-cross', fast: 5, slow: 20 },
    { type: 'ma-cross', fast: 5, slow: 20, ma: 'ema' },
    { type: 'rsi-reversion', period: 14 },
    { type: 'bollinger', mode: 'breakout' },
    { type: 'bollinger', mode: 'reversion' },
    { type: 'donchian-breakout', period: 20 },
    { type: 'macd-cross' },
    { type: 'momentum', period: 10, threshold: 1 },
    { type: 'seasonality', top: 4, minYears: 1 },
    { type: 'seasonality', months: [1, 4] },
    { type: 'all', rules: [{ type: 'ma-cross', fast: 5, slow: 20 }, { type: 'rsi-reversion' }] },
    { type: 'any', rules: [{ type: 'macd-cross' }, { type: 'momentum' }] },
  ];

  it('covers every rule type', () => {
    expect(new Set(specs.map((s) => (s as { type: string }).type))).toEqual(new Set(ruleTypes));
  });

  it.each(specs.map((spec) => [JSON.stringify(spec), spec]))('%s gives the same targets and strengths on data truncated at any bar', (_, raw) => {
    const spec: RuleSpec = parseRuleSpec(raw);
    const full = evaluateRule(series, spec);
    for (let t = 1; t <= series.close.length; t += 7) {
      const part = evaluateRule(sliceSeries(series, 0, t), spec);
      expect([...part.target], `truncated at ${t}`).toEqual([...full.target.subarray(0, t)]);
      expect([...part.strength]).toEqual([...full.strength.subarray(0, t)]);
    }
  });
});
