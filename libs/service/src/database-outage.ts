import { isDatabaseUnavailable } from '@meridian/db';
import type pg from 'pg';

/**
 * Requests that fail because PostgreSQL is away are answered 503 with Retry-After (problem.ts);
 * the outage is logged once when the first one fails and once when the database answers again,
 * probed every few seconds meanwhile, rather than once per request.
 */
export class DatabaseOutage {
  private down = false;
  private probe: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: { warn(details: object, message: string): void; info(details: object, message: string): void },
  ) {}

  /** Whether `error` means the database is unavailable; starts watching for its return if so. */
  seen(error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.down) return true;
    this.down = true;
    this.log.warn({ err: (error as Error).message }, 'database unavailable: answering 503 until it returns');
    this.probe = setInterval(() => {
      this.pool.query('SELECT 1').then(() => {
        this.down = false;
        this.stop();
        this.log.info({}, 'database reachable again');
      }, () => undefined);
    }, 2_000).unref();
    return true;
  }

  stop(): void {
    clearInterval(this.probe);
  }
}
