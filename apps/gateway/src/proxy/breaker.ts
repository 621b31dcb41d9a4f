/**
 * A circuit breaker per upstream: after `threshold` consecutive connection failures it opens
 * and requests fail at once; after `coolDownMs` one request is let through to try again.
 */
export class Breaker {
  private failures = 0;
  private openedAt = 0;
  private trial = false;

  constructor(
    private readonly threshold = 3,
    private readonly coolDownMs = 1_000,
    /** Told when the breaker opens and when a success closes it again: one log line per outage. */
    private readonly onChange: (state: 'open' | 'closed') => void = () => undefined,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.failures < this.threshold) return 'closed';
    return Date.now() - this.openedAt >= this.coolDownMs ? 'half-open' : 'open';
  }

  /** Whether a request may go to the upstream now. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trial) return false;
    this.trial = true;
    return true;
  }

  succeeded(): void {
    if (this.failures >= this.threshold) this.onChange('closed');
    this.failures = 0;
    this.trial = false;
  }

  failed(): void {
    this.trial = false;
    this.failures += 1;
    if (this.failures === this.threshold) this.onChange('open');
    if (this.failures >= this.threshold) this.openedAt = Date.now();
  }
}
