import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { dataNodes, type RedisClient } from './redis-client.js';

export interface TagTimes {
  /** Entries created at or before this instant are gone. */
  deleted: number;
  /** Entries created at or before this instant are stale (kept for grace). */
  expired: number;
}

/**
 * The Redis side of the cache, as narrow as the cache needs, so tests can wrap it to delay or
 * throw. Every method is one round trip; keys are relative to the store's prefix.
 */
export interface L2Store {
  /** Values (null when absent) and the times of the given tags. */
  read(keys: readonly string[], tags: readonly string[]): Promise<{ values: (Buffer | null)[]; tags: Map<string, TagTimes> }>;
  write(entries: readonly { key: string; bytes: Buffer; ttlMs: number }[]): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  markTags(tags: readonly string[], kind: keyof TagTimes, at: number, keepMs: number): Promise<void>;
  /** A token when the lock was taken, undefined when someone else holds it. */
  lock(key: string, ttlMs: number): Promise<string | undefined>;
  unlock(key: string, token: string): Promise<void>;
  /** Deletes every key under a prefix with SCAN and UNLINK, never KEYS. */
  deletePrefix(prefix: string): Promise<number>;
  publish(channel: string, message: string): Promise<void>;
}

// Releases the lock only for the token that took it: a slow owner whose lock already expired
// must not free the next owner's lock.
const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

function parseTime(raw: Buffer | null | undefined): number {
  return raw ? Number(raw.toString()) : 0;
}

/**
 * On a Redis Cluster a command or pipeline may only touch keys of one hash slot, so there the
 * store sends one command per key (written together, answered in one round trip's time);
 * on a single Redis it keeps MGET, multi-key UNLINK and pipelines.
 */
export class RedisStore implements L2Store {
  private readonly cluster: boolean;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.cluster = redis instanceof Cluster;
  }

  private tagKey(tag: string, kind: keyof TagTimes): string {
    return `${this.prefix}tag:${kind === 'deleted' ? 'd' : 'x'}:${tag}`;
  }

  private keys(keys: readonly string[]): string[] {
    return keys.map((key) => this.prefix + key);
  }

  /** Values and tag times in one MGET: one command, one round trip. */
  async read(ids: readonly string[], tags: readonly string[]) {
    const tagKeys = tags.flatMap((tag) => [this.tagKey(tag, 'deleted'), this.tagKey(tag, 'expired')]);
    const all = [...this.keys(ids), ...tagKeys];
    // One key (the common miss) needs no MGET nor an array of promises.
    const replies =
      all.length === 1 ? [await this.redis.getBuffer(all[0] as string)] : this.cluster ? await Promise.all(all.map((key) => this.redis.getBuffer(key))) : await this.redis.mgetBuffer(...all);
    const times = new Map<string, TagTimes>();
    tags.forEach((tag, i) => {
      times.set(tag, { deleted: parseTime(replies[ids.length + 2 * i]), expired: parseTime(replies[ids.length + 2 * i + 1]) });
    });
    return { values: replies.slice(0, ids.length), tags: times };
  }

  /** SET with a time to live for each pair: one pipeline, or one command each on a cluster. */
  private async setAll(pairs: readonly [string, Buffer | string, number][]): Promise<void> {
    const px = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));
    if (pairs.length === 1 || this.cluster) {
      await Promise.all(pairs.map(([key, value, ttlMs]) => this.redis.set(key, value, 'PX', px(ttlMs))));
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const [key, value, ttlMs] of pairs) pipeline.set(key, value, 'PX', px(ttlMs));
    await pipeline.exec();
  }

  async write(entries: readonly { key: string; bytes: Buffer; ttlMs: number }[]): Promise<void> {
    await this.setAll(entries.map((entry) => [this.prefix + entry.key, entry.bytes, entry.ttlMs]));
  }

  private async unlinkAll(client: RedisClient, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!this.cluster) return client.unlink(...keys);
    return (await Promise.all(keys.map((key) => client.unlink(key)))).reduce((sum, n) => sum + n, 0);
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.unlinkAll(this.redis, this.keys(keys));
  }

  async markTags(tags: readonly string[], kind: keyof TagTimes, at: number, keepMs: number): Promise<void> {
    await this.setAll(tags.map((tag) => [this.tagKey(tag, kind), String(at), keepMs]));
  }

  async lock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(12).toString('base64url');
    const ok = await this.redis.set(`${this.prefix}lock:${key}`, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    return ok === 'OK' ? token : undefined;
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.redis.eval(UNLOCK, 1, `${this.prefix}lock:${key}`, token);
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    // SCAN walks one server: on a cluster, each master in turn.
    for (const node of dataNodes(this.redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${this.prefix}${prefix}*`, 'COUNT', 1000);
        cursor = next;
        deleted += await this.unlinkAll(node, keys);
      } while (cursor !== '0');
    }
    return deleted;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.publish(this.prefix + channel, message);
  }
}
