import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_PORTS, loadConfig, SERVICE_NAMES } from '@meridian/config';
import { DCLinter } from 'dclint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine or compose plugin runs here, so `docker compose config` cannot check these
// files. What it would catch is checked here: the compose file against the Compose
// specification's schema (dclint ships it), the services and files it names, and the files
// agreeing with each other and with the settings the apps accept.
const infra = resolve(import.meta.dirname, '../../infra');
// Merge keys (`<<: *app`) as compose reads them.
const load = (file: string) => parse(readFileSync(join(infra, file), 'utf8'), { merge: true }) as Record<string, unknown>;

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

interface ComposeService {
  image?: string;
  build?: { context: string; args: { APP: string } };
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
}

/** `${NAME:-default}` as compose reads it when NAME is unset. */
const unset = (value: string) => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
const envFile = (file: string) =>
  Object.fromEntries(
    readFileSync(join(infra, file), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

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

  it('mount only files that exist, besides named volumes', () => {
    const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? []).map((volume) => unset(volume).split(':')[0] as string);
    const files = mounts.filter((mount) => mount.startsWith('.'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(existsSync(join(infra, file)), file).toBe(true);
    expect(mounts.filter((mount) => !mount.startsWith('.')).sort()).toEqual(['postgres-data', 'redis-data']);
  });

  it('pin every image to a version, and build each app from the Dockerfile with its name', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) {
        expect(service.build.context, name).toBe('..');
        expect(SERVICE_NAMES, name).toContain(service.build.args.APP);
      } else {
        expect(service.image, name).toMatch(/:[\w.-]+$/);
      }
    }
    expect(existsSync(join(infra, '../Dockerfile'))).toBe(true);
  });

  it('run every service and both workers, each waiting for the migration, Redis and what it calls', () => {
    const apps = Object.entries(compose.services).filter(([name, service]) => service.build && name !== 'migrate');
    expect(apps.map(([name]) => name).sort()).toEqual(['backtest', 'backtest-worker', 'gateway', 'monitor', 'signals', 'signals-worker']);
    for (const [name, service] of apps) {
      const needs = service.depends_on as Record<string, { condition: string }>;
      expect(needs.migrate?.condition, name).toBe('service_completed_successfully');
      expect(needs.redis?.condition, name).toBe('service_healthy');
      expect(service.env_file, name).toEqual(['app.env']);
      // Longer than the app's own shutdown timeout, so draining finishes before SIGKILL.
      expect(Number.parseInt(service.stop_grace_period ?? '10', 10) * 1000, name).toBeGreaterThan(Number(envFile('app.env').SHUTDOWN_TIMEOUT_MS));
      if (name.endsWith('-worker')) {
        expect(service.command?.at(-1), name).toBe('worker.js');
        expect(service.healthcheck?.test, name).toEqual(['CMD', 'node', 'health.js', 'worker']);
      }
    }
    const gatewayNeeds = compose.services.gateway?.depends_on as Record<string, { condition: string }>;
    for (const upstream of ['signals', 'backtest', 'monitor']) expect(gatewayNeeds[upstream]?.condition).toBe('service_healthy');
    const migrate = compose.services.migrate as ComposeService;
    expect(migrate.command).toEqual(['node', 'migrate.js']);
    expect((migrate.depends_on as Record<string, { condition: string }>).postgres?.condition).toBe('service_healthy');
  });

  it('give the apps settings each of them accepts in production, secrets aside', () => {
    const shared = envFile('app.env');
    const secrets = { INTERNAL_AUTH_SECRET: 'c'.repeat(64), METRICS_TOKEN: 'd'.repeat(64) };
    for (const service of SERVICE_NAMES) {
      const config = loadConfig(service, { ...shared, ...compose.services.monitor?.environment, ...secrets });
      expect(config.nodeEnv).toBe('production');
      expect(new URL(config.database.url).hostname).toBe('postgres');
      expect(new URL(config.redisUrl).hostname).toBe('redis');
    }
    // Every upstream the gateway calls is a service of the file.
    const gateway = loadConfig('gateway', { ...shared, ...secrets });
    for (const upstream of Object.values(gateway.upstreams)) expect(Object.keys(compose.services)).toContain(new URL(upstream).hostname);
    // And the monitor watches each app container by its name and port.
    const monitor = loadConfig('monitor', { ...shared, ...compose.services.monitor?.environment, ...secrets });
    for (const target of Object.values(monitor.monitor.targets)) expect(Object.keys(compose.services)).toContain(new URL(target).hostname);
    // A start without the secrets stops, naming the variable (the app's own check).
    expect(() => loadConfig('signals', shared)).toThrow(/INTERNAL_AUTH_SECRET/);
  });

  it('keep Redis from evicting jobs and Postgres recording statement statistics', () => {
    expect(compose.services.redis?.command).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']));
    expect(compose.services.postgres?.command?.join(' ')).toContain('shared_preload_libraries=pg_stat_statements');
    expect(readFileSync(join(infra, 'postgres/init.sql'), 'utf8')).toContain('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  });

  it('provision Grafana with the Prometheus the dashboard asks for and the dashboard itself', () => {
    const sources = load('grafana/provisioning/datasources/datasources.yml') as { datasources: { type: string; url: string }[] };
    const dashboard = JSON.parse(readFileSync(join(infra, 'grafana/meridian.json'), 'utf8')) as { templating: { list: { query: string }[] } };
    const wanted = dashboard.templating.list[0]?.query;
    const source = sources.datasources.find((candidate) => candidate.type === wanted);
    expect(Object.keys(compose.services)).toContain(new URL(source?.url ?? 'http://none').hostname);
    const providers = load('grafana/provisioning/dashboards/meridian.yml') as { providers: { options: { path: string } }[] };
    const mounted = compose.services.grafana?.volumes?.find((volume) => volume.startsWith('./grafana/meridian.json'))?.split(':')[1] ?? '';
    expect(mounted.startsWith(`${providers.providers[0]?.options.path}/`)).toBe(true);
  });

  it('send the collector traces to the Jaeger service of the compose file', () => {
    const collector = load('otel-collector.yaml') as { exporters: Record<string, { endpoint: string }>; service: { pipelines: Record<string, { exporters: string[] }> } };
    const host = collector.exporters['otlp/jaeger']?.endpoint.split(':')[0];
    expect(Object.keys(compose.services)).toContain(host);
    expect(collector.service.pipelines.traces?.exporters).toEqual(['otlp/jaeger']);
    expect(compose.services['otel-collector']?.ports).toEqual(expect.arrayContaining(['127.0.0.1:4318:4318']));
  });

  it('scrape every service and both workers: the containers, or the processes of npm start on their default ports', () => {
    type Scrape = { scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; authorization?: { credentials_file: string } }[] };
    const targets = (file: string, job: string) => (load(file) as Scrape).scrape_configs.find((j) => j.job_name === job)?.static_configs.flatMap((c) => c.targets) ?? [];
    const ports = (file: string, job: string) => targets(file, job).map((t) => Number(t.split(':')[1]));
    for (const file of ['prometheus.yml', 'prometheus-host.yml']) {
      expect(ports(file, 'meridian').sort(), file).toEqual(Object.values(DEFAULT_PORTS).sort());
      expect(ports(file, 'meridian-workers'), file).toEqual([loadConfig('signals', {}).queue.workerMetricsPort, loadConfig('backtest', {}).queue.workerMetricsPort]);
      // The token comes from the compose secret, mounted where compose puts secrets.
      for (const job of (load(file) as Scrape).scrape_configs.filter((j) => j.job_name.startsWith('meridian'))) expect(job.authorization?.credentials_file).toBe('/run/secrets/metrics-token');
    }
    const hosts = [...targets('prometheus.yml', 'meridian'), ...targets('prometheus.yml', 'meridian-workers')].map((t) => t.split(':')[0]);
    expect(hosts.sort()).toEqual(['backtest', 'backtest-worker', 'gateway', 'monitor', 'signals', 'signals-worker']);
    expect(unset(compose.services.prometheus?.volumes?.[0] ?? '')).toBe('./prometheus.yml:/etc/prometheus/prometheus.yml:ro');
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
