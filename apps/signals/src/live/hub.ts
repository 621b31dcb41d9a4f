import type { ChangedBars, Interval } from '@meridian/db';
import type { FastifyBaseLogger } from 'fastify';
import { duplicateClient, type RedisClient } from '@meridian/cache';
import { compareIds } from './positions.js';

export interface LiveBar {
  interval: Interval;
  ts: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

export interface LiveEvent {
  symbol: string;
  /** The Redis stream id: ordered within the symbol. */
  id: string;
  bar: LiveBar;
}

/** A connection the hub delivers a symbol's events to. */
export interface Subscriber {
  symbols: ReadonlySet<string>;
  deliver(event: LiveEvent): void;
}

/** Events read at once: what one client may be handed in one go (about 25 KB), well under its buffer cap. */
const READ_BATCH = 100;

export interface LiveOptions {
  /** Events kept per symbol for replay (the Redis stream's MAXLEN, exact). */
  retention: number;
}

/**
 * Live bar events across instances: an upload appends each changed bar to its symbol's Redis
 * stream (bounded to `retention` entries); every instance reads the streams its own subscribers
 * want with one blocking reader and hands each event to them, so a client on any instance sees
 * every event once, in order per symbol.
 */
export class LiveHub {
  /** Each followed symbol's subscribers: an event costs only the connections that want it. */
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** The reader's position in each stream it follows. */
  private readonly positions = new Map<string, string>();
  /** Clients cut off for falling behind, since start. */
  cutOff = 0;
  private reader: RedisClient | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly options: LiveOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * One stream per symbol, all in one hash slot (`{live}`): the reader follows every symbol with
   * one XREAD, which a Redis Cluster allows only for keys of one slot.
   */
  key(symbol: string): string {
    return `${this.prefix}{live}:${symbol}`;
  }

  /** Appends the bars an upload changed; returns how many were published. */
  async publish(symbol: string, interval: Interval, changed: ChangedBars): Promise<number> {
    if (changed.bars.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const bar of changed.bars) {
      const event: LiveBar = { interval, ts: new Date(bar.ts).toISOString(), open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
      pipeline.xadd(this.key(symbol), 'MAXLEN', String(this.options.retention), '*', 'bar', JSON.stringify(event));
    }
    await pipeline.exec();
    return changed.bars.length;
  }

  /** The id of the symbol's newest event, or `0-0` for an empty stream. */
  async tail(symbol: string): Promise<string> {
    const [last] = await this.redis.xrevrange(this.key(symbol), '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  }

  /** The events after `after`, oldest first, and whether older ones than asked for were already trimmed. */
  async since(symbol: string, after: string): Promise<{ events: LiveEvent[]; gap: boolean }> {
    const [first] = await this.redis.xrange(this.key(symbol), '-', '+', 'COUNT', 1);
    // The oldest kept event is newer than the client's: what lay between was trimmed.
    const gap = first !== undefined && after !== '0-0' && compareIds(after, first[0]) < 0;
    const entries = await this.redis.xrange(this.key(symbol), `(${after}`, '+');
    return { events: entries.map(([id, fields]) => ({ symbol, id, bar: JSON.parse(fields[1] as string) as LiveBar })), gap };
  }

  /** Starts following the subscriber's symbols from their current newest event. */
  async add(subscriber: Subscriber): Promise<void> {
    // Subscribed first: the reader drops the position of a symbol nobody subscribes to, and would
    // otherwise drop one set here while the next symbol's tail is awaited.
    for (const symbol of subscriber.symbols) {
      const set = this.subscribers.get(symbol) ?? new Set<Subscriber>();
      this.subscribers.set(symbol, set.add(subscriber));
    }
    for (const symbol of subscriber.symbols) if (!this.positions.has(symbol)) this.positions.set(symbol, await this.tail(symbol));
    this.start();
  }

  remove(subscriber: Subscriber): void {
    for (const symbol of subscriber.symbols) {
      const set = this.subscribers.get(symbol);
      set?.delete(subscriber);
      if (set?.size === 0) this.subscribers.delete(symbol);
    }
  }

  /** Connections this instance is serving. */
  get clients(): number {
    return new Set([...this.subscribers.values()].flatMap((set) => [...set])).size;
  }

  private start(): void {
    if (this.running) return;
    this.running = true;
    // A blocking read holds its connection: the reader has one of its own.
    this.reader = duplicateClient(this.redis, { maxRetriesPerRequest: null, commandTimeout: undefined, enableOfflineQueue: true, connectionName: 'meridian-live-reader' });
    this.reader.on('error', () => undefined);
    this.loop = this.read();
  }

  private async read(): Promise<void> {
    while (this.running) {
      for (const symbol of this.positions.keys()) if (!this.subscribers.has(symbol)) this.positions.delete(symbol);
      const symbols = [...this.positions.keys()];
      if (symbols.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      try {
        // Returns as soon as any stream has news; the timeout lets new symbols join the read.
        const result = (await this.reader?.xread('COUNT', READ_BATCH, 'BLOCK', 1000, 'STREAMS', ...symbols.map((s) => this.key(s)), ...symbols.map((s) => this.positions.get(s) as string))) as
          | [string, [string, string[]][]][]
          | null;
        for (const [key, entries] of result ?? []) {
          const symbol = key.slice(this.key('').length);
          for (const [id, fields] of entries) {
            this.positions.set(symbol, id);
            const event: LiveEvent = { symbol, id, bar: JSON.parse(fields[1] as string) as LiveBar };
            for (const subscriber of this.subscribers.get(symbol) ?? []) {
              try {
                subscriber.deliver(event);
              } catch (error) {
                // One broken connection must not cost the others their events.
                this.log.warn({ err: (error as Error).message, symbol }, 'live event not delivered to one client');
              }
            }
          }
        }
      } catch (error) {
        if (!this.running) break;
        this.log.warn({ err: (error as Error).message }, 'live reader: Redis failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async close(): Promise<void> {
    this.running = false;
    this.reader?.disconnect();
    await this.loop;
  }
}
