export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open it. */
  failures: number;
  /** How long it stays open before one call may probe Redis again. */
  openMs: number;
  onChange?: (state: BreakerState, error?: Error) => void;
}

/**
 * Stops calling Redis after repeated failures so callers pay nothing while it is away; after
 * `openMs` one probe is let through and its outcome closes or re-opens it.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;

  constructor(private readonly options: BreakerOptions) {}

  /** Whether a call may go to Redis now. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && Date.now() - this.openedAt >= this.options.openMs) this.set('half-open');
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.state !== 'closed') this.set('closed');
  }

  failure(error: Error): void {
    this.probing = false;
    this.failures++;
    if (this.state === 'half-open' || (this.state === 'closed' && this.failures >= this.options.failures)) {
      this.openedAt = Date.now();
      this.set('open', error);
    }
  }

  private set(state: BreakerState, error?: Error): void {
    this.state = state;
    this.options.onChange?.(state, error);
  }
}
