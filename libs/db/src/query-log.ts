import { finished } from 'node:stream';
import type pg from 'pg';

export interface QueryLogger {
  warn(details: object, message: string): void;
}

export interface QueryStats {
  count: number;
  errors: number;
  totalMs: number;
  p50: number;
  p95: number;
  p99: number;
  maxMs: number;
}

const SAMPLES = 1024;

/** Per-name timings: a ring of the latest durations, so percentiles follow what happens now. */
class Series {
  count = 0;
  errors = 0;
  totalMs = 0;
  maxMs = 0;
  private readonly ring = new Float64Array(SAMPLES);

  add(ms: number, failed: boolean): void {
    this.ring[this.count % SAMPLES] = ms;
    this.count++;
    if (failed) this.errors++;
    this.totalMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  summary(): QueryStats {
    const sorted = this.ring.slice(0, Math.min(this.count, SAMPLES)).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return { count: this.count, errors: this.errors, totalMs: round(this.totalMs), p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), maxMs: round(this.maxMs) };
  }
}

/** A statement's name: the `name` every repository gives its queries, else the SQL's first words. */
export function queryName(config: unknown): string {
  if (typeof config === 'string') return `sql:${config.trim().replace(/\s+/g, ' ').slice(0, 40)}`;
  const named = config as { name?: string; text?: string };
  return named.name ?? (named.text ? queryName(named.text) : 'unnamed');
}

const STREAM_NAME = Symbol('meridian.query-name');

/** Names a COPY stream so that the query log times it, from submission to its end, like a query. */
export function timedStream<T extends object>(stream: T, name: string): T {
  return Object.assign(stream, { [STREAM_NAME]: name });
}

/**
 * Times every query of the clients it watches, logs those slower than the threshold with
 * their name and duration, and keeps counts and latency percentiles per name for the monitor.
 */
export class QueryLog {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly slowMs: number,
    private readonly logger?: QueryLogger,
  ) {}

  record(name: string, ms: number, error?: Error): void {
    let series = this.series.get(name);
    if (!series) {
      series = new Series();
      this.series.set(name, series);
    }
    series.add(ms, error !== undefined);
    if (ms >= this.slowMs) this.logger?.warn({ query: name, ms: Math.round(ms * 100) / 100, ...(error ? { err: error.message } : {}) }, 'slow query');
  }

  stats(): Record<string, QueryStats> {
    return Object.fromEntries([...this.series].map(([name, series]) => [name, series.summary()]));
  }

  /**
   * Wraps `client.query` of every client the pool opens. COPY streams pass through untimed (an
   * export lasts as long as its client reads), unless given a name with `timedStream`.
   */
  watch(pool: pg.Pool): void {
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        const [config] = args;
        if (typeof (config as { submit?: unknown } | undefined)?.submit === 'function') {
          const name = (config as { [STREAM_NAME]?: string })[STREAM_NAME];
          if (name !== undefined) {
            const started = performance.now();
            finished(config as NodeJS.ReadableStream | NodeJS.WritableStream, (error) => this.record(name, performance.now() - started, error ?? undefined));
          }
          return query(...args);
        }
        const name = queryName(config);
        const started = performance.now();
        const done = (error?: Error) => this.record(name, performance.now() - started, error ?? undefined);
        const callback = args.at(-1);
        // pool.query() passes a callback; direct client.query() calls use the promise.
        if (typeof callback === 'function') {
          return query(...args.slice(0, -1), (error: Error | undefined, result: unknown) => {
            done(error);
            (callback as (e: Error | undefined, r: unknown) => void)(error, result);
          });
        }
        const result = query(...args) as Promise<unknown>;
        result.then(() => done(), (error: Error) => done(error));
        return result;
      };
    });
  }
}
