import { scrapeHeaders } from '@meridian/service/testing';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import { describe, expect, it } from 'vitest';
import { stackForFile } from './stack.js';

const file = stackForFile('e2e', 'read,write,admin');
const url = (service: string) => file.url(service);

describe('the built stack', () => {
  it.each(['gateway', 'signals', 'backtest', 'monitor'])('%s is live and ready with Postgres and Redis reported', async (service) => {
    expect((await fetch(`${url(service)}/health/live`)).status).toBe(200);
    const ready = await fetch(`${url(service)}/health/ready`, { headers: scrapeHeaders(file.ctx.config('gateway')) });
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: unknown }).checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('reaches signals through the gateway', async () => {
    const created = await fetch(`${url('gateway')}/v1/instruments`, {
      method: 'POST',
      headers: { ...file.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'E2E', name: 'End to end' }),
    });
    expect(created.status).toBe(201);
    const res = await fetch(`${url('gateway')}/v1/instruments/E2E`, { headers: file.auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ symbol: 'E2E', name: 'End to end' });
  });

  it('reaches backtest through the gateway', async () => {
    const res = await fetch(`${url('gateway')}/v1/strategies`, { headers: file.auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [], nextCursor: null });
  });

  it('reaches monitor through the gateway, which sees every service ready', async () => {
    const res = await fetch(`${url('gateway')}/v1/monitor/services`, { headers: file.auth });
    expect(res.status).toBe(200);
    const { services } = (await res.json()) as { services: { name: string; status: string }[] };
    expect(services.map((s) => `${s.name}:${s.status}`).sort()).toEqual([
      'backtest:ready',
      'gateway:ready',
      'signals:ready',
    ]);
  });

  it('refuses a service called directly, without the gateway', async () => {
    const res = await fetch(`${url('signals')}/v1/instruments`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('aggregates readiness at GET /health on the gateway', async () => {
    const res = await fetch(`${url('gateway')}/health`, { headers: scrapeHeaders(file.ctx.config('gateway')) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { services: unknown[] }).services).toHaveLength(3);
  });

  // The gateway's route templates are its forwarding routes: one per service prefix, or per path.
  it.each([
    ['signals', '/v1/instruments/E2E', '/v1/instruments/:symbol', '/v1/instruments/*'],
    ['backtest', '/v1/strategies', '/v1/strategies', '/v1/strategies'],
    ['monitor', '/v1/monitor/services', '/v1/monitor/services', '/v1/monitor/*'],
  ])('%s and the gateway count, on their own /metrics, the requests made through the gateway', async (service, path, route, gatewayRoute) => {
    const requests = async (name: string, template: string) => {
      const res = await fetch(`${url(name)}/metrics`, { headers: scrapeHeaders(file.ctx.config('gateway')) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const samples = parsePrometheusText(await res.text());
      expect(samples.filter((sample) => sample.labels.service !== name)).toEqual([]);
      return sampleValue(samples, 'http_server_request_duration_seconds_count', { route: template, method: 'GET', status_class: '2xx' }) ?? 0;
    };
    const counts = async () => ({ service: await requests(service, route), gateway: await requests('gateway', gatewayRoute) });
    const before = await counts();
    for (let i = 0; i < 3; i++) expect((await fetch(`${url('gateway')}${path}`, { headers: file.auth })).status).toBe(200);
    expect(await counts()).toEqual({ service: before.service + 3, gateway: before.gateway + 3 });
  });
});
