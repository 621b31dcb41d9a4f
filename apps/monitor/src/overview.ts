import type { Alert, Prediction } from './alerts/engine.js';
import type { Figure } from './figures.js';
import type { TargetState } from './monitor.js';

export interface ScoreReason {
  reason: string;
  points: number;
}

const pick = (figures: readonly Figure[], name: string, labels: Record<string, string> = {}) =>
  figures.find((f) => f.name === name && Object.entries(labels).every(([k, v]) => f.labels[k] === v) && (labels.route !== undefined || f.labels.route === undefined))?.value ?? null;

/**
 * 0–100: every target down costs 25, every critical alert 15, every warning 5, every predicted
 * breach 2; the reasons list each deduction.
 */
export function healthScore(targets: readonly TargetState[], firing: readonly Alert[]): { score: number; reasons: ScoreReason[] } {
  const reasons: ScoreReason[] = [];
  for (const target of targets) if (!target.up) reasons.push({ reason: `${target.name} is down${target.error ? `: ${target.error}` : ''}`, points: 25 });
  for (const alert of firing) {
    if (alert.rule === 'service-down') continue; // counted with its target above
    reasons.push({ reason: `${alert.severity}: ${alert.summary}`, points: alert.predicted ? 2 : alert.severity === 'critical' ? 15 : 5 });
  }
  return { score: Math.max(0, 100 - reasons.reduce((sum, r) => sum + r.points, 0)), reasons };
}

export function overviewOf(at: number, targets: readonly TargetState[], figures: readonly Figure[], firing: readonly Alert[], predictions: readonly Prediction[]) {
  const services = targets.map((target) => {
    const service = { service: target.name };
    const routes = figures
      .filter((f) => f.name === 'requests_total' && f.labels.service === target.name)
      .map((f) => {
        const route = { service: target.name, route: f.labels.route as string };
        return {
          route: f.labels.route as string,
          count: f.value,
          rate: pick(figures, 'request_rate', route),
          errorRatio: pick(figures, 'error_ratio', route),
          p50: pick(figures, 'request_p50_seconds', route),
          p95: pick(figures, 'request_p95_seconds', route),
          p99: pick(figures, 'request_p99_seconds', route),
        };
      })
      .sort((a, b) => b.count - a.count);
    return {
      name: target.name,
      url: target.url,
      status: target.up ? 'up' : 'down',
      lastSeen: target.lastSeen === null ? null : new Date(target.lastSeen).toISOString(),
      error: target.error,
      requestRate: pick(figures, 'request_rate', service),
      errorRatio: pick(figures, 'error_ratio', service),
      p95: routes.reduce<number | null>((worst, r) => (r.p95 !== null && (worst === null || r.p95 > worst) ? r.p95 : worst), null),
      routes,
      process: {
        eventLoopUtilization: pick(figures, 'eventloop_utilization', service),
        eventLoopLagP99: pick(figures, 'eventloop_lag_p99_seconds', service),
        heapUsedBytes: pick(figures, 'heap_used_bytes', service),
        rssBytes: pick(figures, 'rss_bytes', service),
      },
      database: { poolWaiting: pick(figures, 'pg_pool_waiting', service), queryMeanSeconds: pick(figures, 'db_query_mean_seconds', service) },
      cache: { l1HitRatio: pick(figures, 'cache_hit_ratio', { ...service, tier: 'l1' }), l2HitRatio: pick(figures, 'cache_hit_ratio', { ...service, tier: 'l2' }), l1Entries: pick(figures, 'cache_l1_entries', service), l1Evictions: pick(figures, 'cache_l1_evictions', service) },
    };
  });
  const queues = figures
    .filter((f) => f.name === 'queue_waiting')
    .map((f) => {
      const queue = { queue: f.labels.queue as string };
      const worker = (name: string) => figures.find((g) => g.name === name && g.labels.queue === queue.queue)?.value ?? null;
      return {
        queue: queue.queue,
        waiting: f.value,
        active: pick(figures, 'queue_active', queue),
        delayed: pick(figures, 'queue_delayed', queue),
        failed: pick(figures, 'queue_failed', queue),
        completed: pick(figures, 'queue_completed', queue),
        oldestWaitingSeconds: pick(figures, 'queue_oldest_waiting_seconds', queue),
        jobsPerMinute: worker('queue_jobs_per_minute'),
        jobP50Seconds: worker('queue_job_p50_seconds'),
        jobP95Seconds: worker('queue_job_p95_seconds'),
      };
    });
  const { score, reasons } = healthScore(targets, firing);
  return {
    at: new Date(at).toISOString(),
    score,
    reasons,
    services,
    queues,
    redis: { usedMemoryBytes: pick(figures, 'redis_used_memory_bytes'), connectedClients: pick(figures, 'redis_connected_clients'), evictedKeys: pick(figures, 'redis_evicted_keys'), keys: pick(figures, 'redis_keys') },
    postgres: { databaseBytes: pick(figures, 'pg_database_bytes'), bufferHitRatio: pick(figures, 'pg_buffer_hit_ratio'), deadTuples: pick(figures, 'pg_dead_tuples') },
    alerts: firing.map((a) => ({ ...a, startsAt: new Date(a.startsAt).toISOString(), endsAt: null })),
    predictions: predictions.map((p) => ({ ...p, breachAt: p.breachAt === null ? null : new Date(p.breachAt).toISOString() })),
  };
}

export type Overview = ReturnType<typeof overviewOf>;
