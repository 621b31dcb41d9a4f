import { describe, expect, it } from 'vitest';
import { Metrics } from '../src/index.js';
import { parsePrometheusText, sampleValue } from '../src/prometheus-text.js';

describe('Prometheus text', () => {
  it('reads samples, labels with escapes, and special values', () => {
    const samples = parsePrometheusText('# HELP x y\n# TYPE x counter\nx{a="1",b="say \\"hi\\""} 3\ny 2.5e-3\nz NaN\nw{le="+Inf"} +Inf\n');
    expect(samples).toEqual([
      { name: 'x', labels: { a: '1', b: 'say "hi"' }, value: 3 },
      { name: 'y', labels: {}, value: 0.0025 },
      { name: 'z', labels: {}, value: Number.NaN },
      { name: 'w', labels: { le: '+Inf' }, value: Infinity },
    ]);
    expect(sampleValue(samples, 'x', { a: '1' })).toBe(3);
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parsePrometheusText('x{a="1"} 3\nthis is not a metric\n')).toThrow('line 2');
  });

  it('reads back what Metrics writes', async () => {
    const metrics = new Metrics('test');
    metrics.observeRequest('GET', '/v1/things/:id', 200, 0.003);
    metrics.observeRequest('GET', undefined, 404, 0.001);
    metrics.ingestedRows.inc({ interval: '1d' }, 42);
    const samples = parsePrometheusText(await metrics.text());
    expect(sampleValue(samples, 'http_server_request_duration_seconds_bucket', { route: '/v1/things/:id', le: '0.005' })).toBe(1);
    expect(sampleValue(samples, 'http_server_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(sampleValue(samples, 'bars_ingested_rows_total', { interval: '1d', service: 'test' })).toBe(42);
  });
});
