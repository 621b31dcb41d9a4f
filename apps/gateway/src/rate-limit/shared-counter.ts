import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '@meridian/cache';

interface Window {
  /** Index of the fixed window: floor(now / windowMs). */
  index: number;
  windowMs: number;
  /** The total in Redis after this instance's last flush, every instance included. */
  shared: number;
  /** Counted here since the last flush. */
  pending: number;
}

export interface Count {
  current: number;
  /** Milliseconds until the window resets. */
  ttl: number;
}

/**
 * Fixed-window request counts per key, shared by every gateway instance through Redis without a
 * Redis round trip per request. Each instance counts in memory and adds its counts to Redis every
 * `flushMs` (a pipeline per key), reading back the cluster-wide totals in the same round trip. A key
 * can therefore overshoot its limit by what the other instances admit within one flush interval.
 * While Redis is unreachable the counts stay local: limits then hold per instance.
 */
export class SharedWindowCounter {
  private readonly windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private degraded = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
    private readonly log: FastifyBaseLogger,
    flushMs = 100,
  ) {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  incr(key: string, windowMs: number): Count {
    const now = Date.now();
    const index = Math.floor(now / windowMs);
    let window = this.windows.get(key);
    if (window === undefined || window.index !== index || window.windowMs !== windowMs) {
      window = { index, windowMs, shared: 0, pending: 0 };
      this.windows.set(key, window);
    }
    window.pending++;
    return { current: window.shared + window.pending, ttl: (index + 1) * windowMs - now };
  }

  /** Adds the pending counts to Redis and learns the totals; at most one flush runs at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.flushPending().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return this.flush();
  }

  private async flushPending(): Promise<void> {
    const now = Date.now();
    const batch: [string, Window, number][] = [];
    for (const [key, window] of this.windows) {
      if ((window.index + 1) * window.windowMs <= now) {
        this.windows.delete(key);
      } else if (window.pending > 0) {
        batch.push([key, window, window.pending]);
      }
    }
    if (batch.length === 0 || this.redis.status !== 'ready') return;
    try {
      // A pipeline per key: a Redis Cluster takes a pipeline only when its keys share a slot.
      const results = await Promise.all(
        batch.map(([key, window, count]) => {
          const redisKey = `${this.namespace}${key}:${window.index}`;
          return this.redis.pipeline().incrby(redisKey, count).pexpire(redisKey, window.windowMs * 2).exec();
        }),
      );
      batch.forEach(([, window, count], i) => {
        const [error, total] = results[i]?.[0] ?? [new Error('no reply')];
        if (error) throw error;
        // Counts that arrived during the round trip stay pending: the total does not hold them yet.
        window.pending -= count;
        window.shared = Number(total);
      });
      if (this.degraded) this.log.info('rate limits are shared through Redis again');
      this.degraded = false;
    } catch (error) {
      if (!this.degraded) this.log.warn({ err: (error as Error).message }, 'Redis unavailable: rate limits count in this instance only');
      this.degraded = true;
    }
  }
}
