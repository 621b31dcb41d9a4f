import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a pg pool reports; structural, so this library needs no database driver. */
export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** The cache's stats() shape, structurally. */
export interface CacheCounts {
  namespaces: Record<string, { l1Hits: number; l2Hits: number; staleHits: number; misses: number; factoryCalls: number; factoryErrors: number; timeouts: number }>;
  l1: { entries: number; bytes: number; evictions: number };
  l2: { errors: number; breaker: string };
}

export interface QueryCounts {
  count: number;
  errors: number;
  totalMs: number;
}

// Seconds: from a cache hit (sub-millisecond) to a long export.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * One Prometheus registry per process: RED per route, the Node runtime, and gauges read from
 * the pools, the cache and the queues when scraped (so nothing is counted twice).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_class'>;
  readonly ingestedRows: Counter<'interval'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Time from request received to response sent, by route template, method and status class.',
      labelNames: ['method', 'route', 'status_class'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.ingestedRows = new Counter({ name: 'bars_ingested_rows_total', help: 'Bars stored by uploads (inserted or updated).', labelNames: ['interval'], registers: [this.registry] });
    let last = performance.eventLoopUtilization();
    new Gauge({
      name: 'nodejs_eventloop_utilization_ratio',
      help: 'Share of time the event loop was busy since the previous scrape.',
      registers: [this.registry],
      collect() {
        const now = performance.eventLoopUtilization();
        this.set(performance.eventLoopUtilization(now, last).utilization);
        last = now;
      },
    });
  }

  /** Records one answered request; `route` is the template (`/v1/bars/:id`), never the raw URL. */
  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route: route ?? 'unmatched', status_class: `${Math.floor(status / 100)}xx` }, seconds);
  }

  watchPools(pools: Record<string, PoolCounts>): void {
    new Gauge({
      name: 'pg_pool_connections',
      help: 'Connections of each pg pool: total open, idle, and requests waiting for one.',
      labelNames: ['pool', 'state'],
      registers: [this.registry],
      collect() {
        for (const [pool, counts] of Object.entries(pools)) {
          this.set({ pool, state: 'total' }, counts.totalCount);
          this.set({ pool, state: 'idle' }, counts.idleCount);
          this.set({ pool, state: 'waiting' }, counts.waitingCount);
        }
      },
    });
  }

  watchQueries(stats: () => Record<string, QueryCounts>): void {
    const totals = (name: string, help: string, pick: (q: QueryCounts) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['query'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [query, counts] of Object.entries(stats())) this.inc({ query }, pick(counts));
        },
      });
    totals('db_queries_total', 'Queries run, by statement name.', (q) => q.count);
    totals('db_query_errors_total', 'Queries that failed, by statement name.', (q) => q.errors);
    totals('db_query_duration_seconds_total', 'Time spent in queries, by statement name.', (q) => q.totalMs / 1000);
  }

  watchCache(stats: () => CacheCounts): void {
    const registers = [this.registry];
    new Counter({
      name: 'cache_requests_total',
      help: 'Cache look-ups by namespace and outcome (l1_hit, l2_hit, stale_hit, miss).',
      labelNames: ['namespace', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [namespace, s] of Object.entries(stats().namespaces)) {
          this.inc({ namespace, result: 'l1_hit' }, s.l1Hits);
          this.inc({ namespace, result: 'l2_hit' }, s.l2Hits);
          this.inc({ namespace, result: 'stale_hit' }, s.staleHits);
          this.inc({ namespace, result: 'miss' }, s.misses);
        }
      },
    });
    new Counter({
      name: 'cache_factory_calls_total',
      help: 'Values computed by a factory, and how many of those failed or timed out.',
      labelNames: ['namespace', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const [namespace, s] of Object.entries(stats().namespaces)) {
          this.inc({ namespace, outcome: 'called' }, s.factoryCalls);
          this.inc({ namespace, outcome: 'failed' }, s.factoryErrors);
          this.inc({ namespace, outcome: 'timed_out' }, s.timeouts);
        }
      },
    });
    new Gauge({
      name: 'cache_l1',
      help: 'The in-process tier: entries, bytes and evictions so far.',
      labelNames: ['measure'],
      registers,
      collect() {
        const { l1 } = stats();
        this.set({ measure: 'entries' }, l1.entries);
        this.set({ measure: 'bytes' }, l1.bytes);
        this.set({ measure: 'evictions' }, l1.evictions);
      },
    });
    new Gauge({
      name: 'cache_l2_state',
      help: 'Redis tier: errors so far, and 1 while the circuit breaker is not closed.',
      labelNames: ['measure'],
      registers,
      collect() {
        const { l2 } = stats();
        this.set({ measure: 'errors' }, l2.errors);
        this.set({ measure: 'breaker_open' }, l2.breaker === 'closed' ? 0 : 1);
      },
    });
  }

  /** Job counts by queue and state, read from Redis at each scrape. */
  watchQueues(counts: () => Promise<Record<string, Record<string, number>>>): void {
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, completed and failed kept).',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const [queue, states] of Object.entries(await counts().catch(() => ({})))) {
          for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
        }
      },
    });
  }

  /** Long-lived event streams: clients connected now, and clients cut off for not reading. */
  watchStreams(stats: () => { clients: number; cutOff: number }): void {
    new Gauge({
      name: 'event_stream_clients',
      help: 'Clients holding a live event stream open.',
      registers: [this.registry],
      collect() {
        this.set(stats().clients);
      },
    });
    new Counter({
      name: 'event_stream_clients_cut_off_total',
      help: 'Clients disconnected because they left more than the buffer cap unread.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(stats().cutOff);
      },
    });
  }

  /** For worker processes: every job that ends, by queue and outcome, with its processing time. */
  jobOutcomes(): { observe(queue: string, outcome: 'completed' | 'failed' | 'retrying', seconds: number): void } {
    const durations = new Histogram({
      name: 'queue_job_duration_seconds',
      help: 'Processing time of jobs in this worker, by queue and outcome (completed, failed for good, failed and retrying).',
      labelNames: ['queue', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    return { observe: (queue, outcome, seconds) => durations.observe({ queue, outcome }, seconds) };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
