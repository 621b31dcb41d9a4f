import { duplicateClient, type RedisClient } from './redis-client.js';
import type { TagTimes } from './store.js';

/** What travels between instances: ids and tags, never values. */
export interface BusMessage {
  from: string;
  ids?: string[];
  tags?: string[];
  kind?: keyof TagTimes;
  at?: number;
}

export interface BusHandlers {
  message(message: BusMessage): void;
  /** The subscription was down for a while: messages may have been missed. */
  reconnected(): void;
}

/**
 * A subscription on its own connection (a subscribed connection can do nothing else). ioredis
 * re-subscribes after a reconnect; what was published meanwhile is lost, hence `reconnected`.
 */
export class InvalidationBus {
  private lost = false;
  private readonly subscriber: RedisClient;

  constructor(redis: RedisClient, private readonly channel: string, handlers: BusHandlers) {
    this.subscriber = duplicateClient(redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, connectionName: 'meridian-cache-bus' });
    this.subscriber.on('error', () => {
      // Reconnection is ioredis's job and the cache logs breaker changes; one line per retry would drown the log.
    });
    this.subscriber.on('close', () => {
      this.lost = true;
    });
    this.subscriber.on('ready', () => {
      if (!this.lost) return;
      this.lost = false;
      handlers.reconnected();
    });
    this.subscriber.on('message', (_channel: string, raw: string) => {
      try {
        handlers.message(JSON.parse(raw) as BusMessage);
      } catch {
        // Not ours (another tool on the channel): nothing to invalidate.
      }
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** For tests: drop the connection as a network fault would, letting ioredis reconnect. */
  interrupt(): void {
    this.subscriber.disconnect(true);
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
