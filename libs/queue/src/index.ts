import { createHash } from 'node:crypto';
import type { Config } from '@meridian/config';
import { type ConnectionOptions, FlowProducer, type JobsOptions, Queue, type QueueOptions } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { connectRedis, type RedisClient } from '@meridian/cache';

/** Every queue Meridian uses; a name is also the job name inside it. */
export const QUEUES = {
  /** One batch request: waits for its per-symbol children, then sums them up. */
  signalsBatch: 'signals.batch',
  /** One symbol of a batch: every rule over its bars. */
  signalsSymbol: 'signals.symbol',
  /** Update of the rollups an ingest touched. */
  barsRollup: 'bars.rollup',
  /** Daily deletion of bars past their interval's retention (BARS_RETENTION). */
  barsRetention: 'bars.retention',
  /** One backtest: bars, the engine, the result written once. */
  backtestRun: 'backtest.run',
  /** One parameter sweep: waits for its chunks, then ranks them. */
  backtestSweep: 'backtest.sweep',
  /** One chunk of a sweep's parameter sets. */
  backtestSweepChunk: 'backtest.sweep-chunk',
  /** One walk-forward validation. */
  backtestValidate: 'backtest.validate',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Trace context rides with each job, so the worker's span is a child of the request that queued
 * it. Without an OpenTelemetry SDK in the process this is the API's no-op tracer.
 */
export const queueTelemetry = new BullMQOtel({ tracerName: 'meridian-queue' });

/**
 * BullMQ keys live under the environment's Redis prefix, like every other key, then a hash tag:
 * BullMQ's scripts touch several keys of a queue, and a flow's keys of several queues, which a
 * Redis Cluster allows only within one hash slot (BullMQ's docs ask for a `{…}` prefix).
 */
export function bullPrefix(config: Pick<Config, 'redisPrefix'>): string {
  return `${config.redisPrefix}{bull}`;
}

/**
 * A connection for BullMQ. Workers block on Redis, so their commands must wait as long as it
 * takes (`maxRetriesPerRequest: null`); producers fail fast so an API call never hangs on Redis.
 */
export function queueConnection(config: Config, role: 'worker' | 'producer'): RedisClient {
  const redis = connectRedis(config, {
    connectionName: `meridian-${config.service}-${role}`,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
  });
  redis.on('error', () => {
    // ioredis reconnects; health checks and failed commands report the outage.
  });
  return redis;
}

/**
 * Worker settings every Meridian worker shares: the queue prefix, trace context, and the lock
 * after which a job whose worker died is taken over (checked as often as the lock lasts).
 */
export function workerDefaults(config: Config, connection: ConnectionOptions) {
  return { connection, prefix: bullPrefix(config), telemetry: queueTelemetry, lockDuration: config.queue.lockMs, stalledInterval: config.queue.lockMs };
}

/** Retries with exponential backoff for transient errors, and finished jobs removed by age. */
export function jobDefaults(config: Config): JobsOptions {
  return {
    attempts: config.queue.attempts,
    backoff: { type: 'exponential', delay: config.queue.backoffMs },
    removeOnComplete: { age: config.queue.keepCompletedS },
    removeOnFail: { age: config.queue.keepFailedS },
  };
}

export function createQueue<T>(config: Config, name: QueueName, connection: ConnectionOptions): Queue<T> {
  const options: QueueOptions = { connection, prefix: bullPrefix(config), defaultJobOptions: jobDefaults(config), telemetry: queueTelemetry };
  return quiet(new Queue<T>(name, options));
}

/** A flow producer (a parent job and its children, queued at once) on the same terms as createQueue. */
export function createFlowProducer(config: Config, connection: ConnectionOptions): FlowProducer {
  return quiet(new FlowProducer({ connection, prefix: bullPrefix(config), telemetry: queueTelemetry }));
}

/**
 * BullMQ re-emits its connection's errors on the queue, and prints each one that has no listener:
 * a stack trace per reconnect attempt while Redis is away. Redis's state is reported once by the
 * health checks and the cache's breaker; a call that fails says so to its caller.
 */
function quiet<T extends { on(event: 'error', listener: (error: Error) => void): unknown }>(emitter: T): T {
  emitter.on('error', () => undefined);
  return emitter;
}

/** JSON with keys sorted at every level: equal requests give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/**
 * The id of a job is a hash of who asked and what, so the same request sent twice names the same
 * job and is not done twice.
 */
export function deterministicJobId(kind: string, tenant: string, request: unknown): string {
  return `${kind}-${createHash('sha256').update(tenant).update('\0').update(canonicalJson(request)).digest('hex').slice(0, 32)}`;
}

export type { Job, Queue } from 'bullmq';
