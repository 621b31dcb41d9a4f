import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../src/alerts/engine.js';
import { parseRules } from '../src/alerts/rules.js';
import { alertmanagerPayload } from '../src/alerts/webhook.js';
import { fitTrend } from '../src/trends.js';
import { histogramQuantile } from '../src/collect/derive.js';

const rules = (list: unknown[]) => parseRules({ version: 1, rules: list });
const ratio = (value: number, service = 'signals') => [{ name: 'error_ratio', labels: { service }, value }];

describe('alert rules', () => {
  const rule = { name: 'error-ratio', figure: 'error_ratio', above: { warning: 0.05, critical: 0.2 }, for: '1m', clear: 0.2, summary: '{service}: {value} fail' };

  it('fire once the figure has stayed beyond the threshold for the rule\'s duration', () => {
    const engine = new AlertEngine(rules([rule]));
    expect(engine.evaluate(ratio(0.1), 0)).toEqual([]);
    expect(engine.evaluate(ratio(0.1), 59_999)).toEqual([]);
    const [fired] = engine.evaluate(ratio(0.1), 60_000);
    expect(fired).toMatchObject({ rule: 'error-ratio', status: 'firing', severity: 'warning', labels: { service: 'signals' }, summary: 'signals: 0.1 fail', startsAt: 60_000 });
  });

  it('forget a figure that went back inside before the duration', () => {
    const engine = new AlertEngine(rules([rule]));
    engine.evaluate(ratio(0.1), 0);
    engine.evaluate(ratio(0.01), 30_000);
    expect(engine.evaluate(ratio(0.1), 60_000)).toEqual([]);
  });

  it('stay one alert while a figure flaps around the threshold, and resolve past the hysteresis band', () => {
    const engine = new AlertEngine(rules([{ ...rule, for: '0ms' }]));
    const transitions = [0.06, 0.045, 0.07, 0.049, 0.055, 0.041, 0.06].flatMap((v, i) => engine.evaluate(ratio(v), i * 1000));
    expect(transitions.map((t) => t.status)).toEqual(['firing']);
    const resolved = engine.evaluate(ratio(0.039), 10_000);
    expect(resolved).toMatchObject([{ status: 'resolved', endsAt: 10_000 }]);
    expect(engine.firing()).toEqual([]);
  });

  it('raise the severity of the same alert when the critical threshold is crossed: the critical silences its warning', () => {
    const engine = new AlertEngine(rules([{ ...rule, for: '0ms' }]));
    const [warning] = engine.evaluate(ratio(0.1), 0);
    const [critical] = engine.evaluate(ratio(0.3), 1000);
    expect(critical).toMatchObject({ fingerprint: warning?.fingerprint, severity: 'critical', status: 'firing' });
    expect(engine.firing()).toHaveLength(1);
  });

  it('keep one alert per rule and label set', () => {
    const engine = new AlertEngine(rules([{ ...rule, for: '0ms' }]));
    const fired = engine.evaluate([...ratio(0.1, 'signals'), ...ratio(0.1, 'backtest')], 0);
    expect(fired.map((a) => a.labels.service)).toEqual(['signals', 'backtest']);
    expect(engine.evaluate([...ratio(0.1, 'signals'), ...ratio(0.1, 'backtest')], 1000)).toEqual([]);
  });

  it('warn before a breach when the trend crosses the threshold within 30 minutes', () => {
    const engine = new AlertEngine(rules([{ name: 'heap', figure: 'heap_used_bytes', above: { warning: 1000 }, for: '5m', predict: true, summary: '{service}: heap {value}' }]));
    // 10 bytes a minute from 500: crosses 1000 at minute 50; at minute 25 that is 25 minutes away.
    const points = Array.from({ length: 26 }, (_, m) => ({ t: m * 60_000, v: 500 + 10 * m }));
    const [warning] = engine.evaluate([{ name: 'heap_used_bytes', labels: { service: 'signals' }, value: 750 }], 25 * 60_000, () => points.slice(-11));
    expect(warning).toMatchObject({ rule: 'heap-will-breach', severity: 'warning', predicted: true });
    expect(engine.trends()[0]).toMatchObject({ in30m: 1050, breachAt: 50 * 60_000 });
  });

  it('predict nothing from a few seconds of history, however steep', () => {
    const engine = new AlertEngine(rules([{ name: 'heap', figure: 'heap_used_bytes', above: { warning: 1000 }, for: '5m', predict: true, summary: 'heap' }]));
    const points = Array.from({ length: 20 }, (_, s) => ({ t: s * 1000, v: 500 + 20 * s }));
    expect(engine.evaluate([{ name: 'heap_used_bytes', labels: {}, value: 880 }], 19_000, () => points)).toEqual([]);
    expect(engine.trends()).toEqual([]);
  });

  it('refuse a rules file with a mistake, naming it', () => {
    expect(() => rules([{ ...rule, for: 'soon' }])).toThrow(/\/rules\/0\/for/);
    expect(() => rules([{ ...rule, above: undefined }])).toThrow(/needs exactly one of above or below/);
  });
});

describe('trend fit', () => {
  it('returns the slope, intercept, R² and time to threshold of a known line', () => {
    const trend = fitTrend([0, 1, 2, 3, 4].map((t) => ({ t, v: 3 + 2 * t })));
    expect(trend).toMatchObject({ slope: 2, intercept: 3, r2: 1 });
    expect(trend?.at(10)).toBe(23);
    expect(trend?.reaches(13, 0)).toBe(5);
    expect(trend?.reaches(1, 0)).toBeUndefined();
  });

  it('gives R² below 1 for noisy points, as the textbook computes it', () => {
    const trend = fitTrend([{ t: 1, v: 1 }, { t: 2, v: 3 }, { t: 3, v: 2 }, { t: 4, v: 4 }]);
    // slope = Σ(t−t̄)(v−v̄)/Σ(t−t̄)² = 4/5, intercept = 2.5 − 0.8·2.5 = 0.5, R² = 4²/(5·5) = 0.64
    expect(trend?.slope).toBeCloseTo(0.8, 12);
    expect(trend?.intercept).toBeCloseTo(0.5, 12);
    expect(trend?.r2).toBeCloseTo(0.64, 12);
  });
});

describe('histogram quantiles', () => {
  it('interpolate within the bucket that holds the rank', () => {
    const buckets = [{ le: 0.1, count: 50 }, { le: 0.5, count: 90 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1, 12);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.3, 12);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75, 12);
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
  });
});

describe('webhook payloads', () => {
  it('have the shape of Alertmanager\'s webhook', () => {
    const alert = { fingerprint: 'f1', rule: 'service-down', labels: { service: 'signals' }, severity: 'critical' as const, status: 'resolved' as const, value: 1, summary: 'signals does not answer', startsAt: 0, endsAt: 60_000, predicted: false };
    expect(alertmanagerPayload(alert, 'http://meridian')).toEqual({
      version: '4',
      groupKey: '{}:{alertname="service-down"}',
      truncatedAlerts: 0,
      status: 'resolved',
      receiver: 'meridian-monitor',
      groupLabels: { alertname: 'service-down' },
      commonLabels: { alertname: 'service-down', severity: 'critical', service: 'signals' },
      commonAnnotations: { summary: 'signals does not answer' },
      externalURL: 'http://meridian',
      alerts: [{ status: 'resolved', labels: { alertname: 'service-down', severity: 'critical', service: 'signals' }, annotations: { summary: 'signals does not answer', value: '1' }, startsAt: '1970-01-01T00:00:00.000Z', endsAt: '1970-01-01T00:01:00.000Z', generatorURL: 'http://meridian/v1/monitor/alerts', fingerprint: 'f1' }],
    });
  });
});
