import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_PORTS, loadConfig } from '@meridian/config';
import { DCLinter } from 'dclint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine or compose plugin runs here, so `docker compose config` cannot check these
// files. What it would catch is checked here: the compose file against the Compose
// specification's schema (dclint ships it), the services and files it names, and the three
// files agreeing.
const infra = resolve(import.meta.dirname, '../../infra');
const load = (file: string) => parse(readFileSync(join(infra, file), 'utf8')) as Record<string, unknown>;

/**
 * What dclint finds wrong in a compose file: what breaks the Compose specification's schema, and
 * its error-level rules (a port published twice, an image without a version tag). Its style
 * warnings are left out.
 */
function schemaErrors(file: string): string[] {
  const linter = new DCLinter({ rules: {}, quiet: true, debug: false, exclude: [] });
  // dclint's declarations import their types without file extensions, which NodeNext cannot follow.
  const results = linter.lintFiles([file], false) as { messages: { rule: string; type: string; message: string }[] }[];
  return results.flatMap((result) => result.messages.filter((m) => m.type === 'error').map((m) => `${m.rule}: ${m.message}`));
}

interface Compose {
  services: Record<string, { image: string; volumes?: string[]; ports?: string[]; profiles?: string[]; depends_on?: string[] | Record<string, unknown> }>;
}

describe('infra files', () => {
  const compose = load('docker-compose.yml') as unknown as Compose;

  it('follow the Compose specification', () => {
    expect(schemaErrors(join(infra, 'docker-compose.yml'))).toEqual([]);
  });

  it('would be caught breaking the Compose specification', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-compose-'));
    try {
      const broken = join(dir, 'docker-compose.yml');
      writeFileSync(broken, readFileSync(join(infra, 'docker-compose.yml'), 'utf8').replace('healthcheck:', 'helthcheck:'));
      expect(schemaErrors(broken)).toEqual([expect.stringMatching(/^invalid-schema: .*\/services\/postgres.*additional properties/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('name only services of the file in depends_on', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const needs = service.depends_on ?? [];
      for (const needed of Array.isArray(needs) ? needs : Object.keys(needs)) expect(Object.keys(compose.services), `${name} depends on ${needed}`).toContain(needed);
    }
  });

  it('mount only files that exist, or that npm start makes in tmp/', () => {
    const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? []).map((volume) => volume.split(':')[0] as string);
    expect(mounts.length).toBeGreaterThan(0);
    const startScript = readFileSync(join(infra, '../tools/stack/start.ts'), 'utf8');
    for (const mount of mounts) {
      const made = /^\.\.\/tmp\/([\w.-]+)$/.exec(mount)?.[1];
      if (made) expect(startScript, mount).toContain(`'${made}'`);
      else expect(existsSync(join(infra, mount)), mount).toBe(true);
    }
  });

  it('pin every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.image, name).toMatch(/:[\w.-]+$/);
  });

  it('send the collector traces to the Jaeger service of the compose file', () => {
    const collector = load('otel-collector.yaml') as { exporters: Record<string, { endpoint: string }>; service: { pipelines: Record<string, { exporters: string[] }> } };
    const host = collector.exporters['otlp/jaeger']?.endpoint.split(':')[0];
    expect(Object.keys(compose.services)).toContain(host);
    expect(collector.service.pipelines.traces?.exporters).toEqual(['otlp/jaeger']);
    expect(compose.services['otel-collector']?.ports).toEqual(expect.arrayContaining(['127.0.0.1:4318:4318']));
  });

  it('scrape every service and both workers on their default ports', () => {
    const prometheus = load('prometheus.yml') as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const ports = (job: string) => prometheus.scrape_configs.find((j) => j.job_name === job)?.static_configs.flatMap((c) => c.targets).map((t) => Number(t.split(':')[1])) ?? [];
    expect(ports('meridian').sort()).toEqual(Object.values(DEFAULT_PORTS).sort());
    expect(ports('meridian-workers')).toEqual([loadConfig('signals', {}).queue.workerMetricsPort, loadConfig('backtest', {}).queue.workerMetricsPort]);
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(infra, 'grafana/meridian.json'), 'utf8')) as { uid: string; panels: { id: number; title: string; targets: { expr: string }[] }[] };

  it('has a panel per figure with distinct ids, each querying Prometheus', () => {
    expect(dashboard.uid).toBe('meridian');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
  });

  it('asks only for metrics a Meridian process exposes', async () => {
    const { createService } = await import('@meridian/service');
    const { createTestContext, scrapeHeaders } = await import('@meridian/service/testing');
    const { parsePrometheusText } = await import('@meridian/telemetry/prometheus-text');
    const ctx = await createTestContext();
    const app = await createService({ config: ctx.config('signals'), description: 'metrics' });
    try {
      await app.inject({ url: '/health/live' });
      const text = (await app.inject({ url: '/metrics', headers: scrapeHeaders(app.config) })).body;
      const exposed = new Set(parsePrometheusText(text).map((s) => s.name));
      // Families registered but not observed yet in a fresh process.
      for (const family of ['queue_jobs', 'queue_job_duration_seconds_bucket', 'cache_requests_total', 'db_queries_total', 'db_query_duration_seconds_total']) exposed.add(family);
      const asked = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b([a-z_]+_[a-z_]+)(?=\{|\[|\)|\s|$)/g)].map((m) => m[1] as string)));
      const functions = new Set(['histogram_quantile']);
      expect(asked.filter((name) => !functions.has(name) && !exposed.has(name))).toEqual([]);
    } finally {
      await app.close();
      await ctx.cleanup();
    }
  });
});
