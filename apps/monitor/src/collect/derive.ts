import type { Sample } from '@meridian/telemetry/prometheus-text';
import type { Figure } from '../figures.js';
import type { Scrape } from './scrape.js';

const sum = (samples: readonly Sample[], name: string, match: (labels: Record<string, string>) => boolean = () => true): number =>
  samples.reduce((total, s) => (s.name === name && match(s.labels) ? total + s.value : total), 0);

const one = (samples: readonly Sample[], name: string): number | undefined => samples.find((s) => s.name === name)?.value;

/** The value below which a share q of the observations fall, from cumulative bucket counts (linear within a bucket). */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const bucket of sorted) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return previous.le;
      const inBucket = bucket.count - previous.count;
      return inBucket <= 0 ? bucket.le : previous.le + ((bucket.le - previous.le) * (rank - previous.count)) / inBucket;
    }
    previous = bucket;
  }
  return previous.le;
}

const ROUTE_METRIC = 'http_server_request_duration_seconds';

/** Per-route request counts and latency buckets of a scrape (the monitor's own routes and health checks left out). */
function routes(samples: readonly Sample[]): Map<string, { count: number; errors: number; buckets: Map<number, number> }> {
  const out = new Map<string, { count: number; errors: number; buckets: Map<number, number> }>();
  for (const s of samples) {
    if (!s.name.startsWith(ROUTE_METRIC) || s.labels.route === undefined || s.labels.route.startsWith('/health') || s.labels.route === '/metrics') continue;
    const route = `${s.labels.method} ${s.labels.route}`;
    const entry = out.get(route) ?? { count: 0, errors: 0, buckets: new Map() };
    if (s.name === `${ROUTE_METRIC}_count`) {
      entry.count += s.value;
      if (s.labels.status_class === '5xx') entry.errors += s.value;
    } else if (s.name === `${ROUTE_METRIC}_bucket`) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + s.value);
    }
    out.set(route, entry);
  }
  return out;
}

const JOB_METRIC = 'queue_job_duration_seconds';

/** Completed jobs and their duration buckets per queue, from a worker's scrape. */
function jobs(samples: readonly Sample[]): Map<string, { count: number; buckets: Map<number, number> }> {
  const out = new Map<string, { count: number; buckets: Map<number, number> }>();
  for (const s of samples) {
    if (!s.name.startsWith(JOB_METRIC) || s.labels.outcome !== 'completed' || s.labels.queue === undefined) continue;
    const entry = out.get(s.labels.queue) ?? { count: 0, buckets: new Map() };
    if (s.name === `${JOB_METRIC}_count`) entry.count += s.value;
    else if (s.name === `${JOB_METRIC}_bucket`) entry.buckets.set(s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value);
    out.set(s.labels.queue, entry);
  }
  return out;
}

/**
 * The figures of one target from its latest scrape and an earlier one (`base`, about a minute
 * before): counters become rates and ratios over that window, histograms quantiles over it.
 */
export function deriveFigures(latest: Scrape, base: Scrape | undefined): Figure[] {
  const service = latest.target;
  const figures: Figure[] = [{ name: 'up', labels: { service }, value: latest.up ? 1 : 0 }];
  if (latest.samples.length === 0) return figures;
  const s = latest.samples;
  const push = (name: string, value: number | undefined, labels: Record<string, string> = {}) => {
    if (value !== undefined && Number.isFinite(value)) figures.push({ name, labels: { service, ...labels }, value });
  };
  push('eventloop_utilization', one(s, 'nodejs_eventloop_utilization_ratio'));
  push('eventloop_lag_p99_seconds', one(s, 'nodejs_eventloop_lag_p99_seconds'));
  push('heap_used_bytes', one(s, 'nodejs_heap_size_used_bytes'));
  push('rss_bytes', one(s, 'process_resident_memory_bytes'));
  push('pg_pool_waiting', sum(s, 'pg_pool_connections', (l) => l.state === 'waiting'));
  push('cache_l1_entries', sum(s, 'cache_l1', (l) => l.measure === 'entries'));
  push('cache_l1_evictions', sum(s, 'cache_l1', (l) => l.measure === 'evictions'));

  const now = routes(s);
  const before = base && base.samples.length > 0 ? routes(base.samples) : undefined;
  const seconds = base ? (latest.at - base.at) / 1000 : 0;
  let windowCount = 0;
  let windowErrors = 0;
  const serviceBuckets = new Map<number, number>();
  for (const [route, entry] of now) {
    push('requests_total', entry.count, { route });
    const previous = before?.get(route);
    if (!before) continue;
    const count = entry.count - (previous?.count ?? 0);
    const errors = entry.errors - (previous?.errors ?? 0);
    if (count < 0) continue; // the service restarted: its counters began again
    windowCount += count;
    windowErrors += errors;
    if (count === 0) continue;
    const buckets = [...entry.buckets].map(([le, c]) => ({ le, count: c - (previous?.buckets.get(le) ?? 0) }));
    for (const { le, count: n } of buckets) serviceBuckets.set(le, (serviceBuckets.get(le) ?? 0) + n);
    push('request_rate', count / seconds, { route });
    push('error_ratio', errors / count, { route });
    for (const [q, name] of [[0.5, 'request_p50_seconds'], [0.95, 'request_p95_seconds'], [0.99, 'request_p99_seconds']] as const) push(name, histogramQuantile(q, buckets), { route });
  }
  if (before && seconds > 0) {
    push('request_rate', windowCount / seconds);
    push('error_ratio', windowCount === 0 ? 0 : windowErrors / windowCount);
    push('service_p95_seconds', histogramQuantile(0.95, [...serviceBuckets].map(([le, count]) => ({ le, count }))));
    const hits = (sample: readonly Sample[], result: string) => sum(sample, 'cache_requests_total', (l) => l.result === result);
    const looked = (sample: readonly Sample[]) => sum(sample, 'cache_requests_total');
    const lookups = looked(s) - looked(base?.samples ?? []);
    if (lookups > 0) {
      push('cache_hit_ratio', (hits(s, 'l1_hit') - hits(base?.samples ?? [], 'l1_hit')) / lookups, { tier: 'l1' });
      push('cache_hit_ratio', (hits(s, 'l2_hit') - hits(base?.samples ?? [], 'l2_hit')) / lookups, { tier: 'l2' });
    }
    const jobsBefore = jobs(base?.samples ?? []);
    for (const [queue, now] of jobs(s)) {
      const previous = jobsBefore.get(queue);
      const done = now.count - (previous?.count ?? 0);
      if (done < 0) continue;
      push('queue_jobs_per_minute', (done / seconds) * 60, { queue });
      if (done === 0) continue;
      const buckets = [...now.buckets].map(([le, c]) => ({ le, count: c - (previous?.buckets.get(le) ?? 0) }));
      push('queue_job_p50_seconds', histogramQuantile(0.5, buckets), { queue });
      push('queue_job_p95_seconds', histogramQuantile(0.95, buckets), { queue });
    }
    const queries = sum(s, 'db_queries_total') - sum(base?.samples ?? [], 'db_queries_total');
    const queryTime = sum(s, 'db_query_duration_seconds_total') - sum(base?.samples ?? [], 'db_query_duration_seconds_total');
    if (queries > 0) push('db_query_mean_seconds', queryTime / queries);
  }
  return figures;
}
