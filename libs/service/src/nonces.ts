import type { RedisClient } from '@meridian/cache';

/**
 * The nonces of signatures already honoured, for as long as a signature is valid, so that a
 * captured header cannot be sent again. Shared by every instance of the service through Redis
 * (SET NX); each instance also remembers its own, which is all there is while Redis is away.
 */
export class NonceGuard {
  private readonly seen = new Map<string, number>();
  private sweptAt = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly keepMs: number,
  ) {}

  /** Resolves true the first time a nonce is presented, false on every later time. */
  async firstUse(nonce: string, now = Date.now()): Promise<boolean> {
    this.sweep(now);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, now + this.keepMs);
    try {
      return (await this.redis.set(`${this.keyPrefix}${nonce}`, '1', 'PX', this.keepMs, 'NX')) === 'OK';
    } catch {
      // Redis is away: this instance's memory is the guard until it returns.
      return true;
    }
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < 1_000) return;
    this.sweptAt = now;
    // Insertion order is expiry order: stop at the first nonce still kept.
    for (const [nonce, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(nonce);
    }
  }
}
