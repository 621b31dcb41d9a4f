import type { Pools } from '@meridian/db';
import { type Figure, figureKey } from './figures.js';

export interface Point {
  t: number;
  v: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Every figure at full resolution for the last hour in memory, and one average per minute in
 * Postgres (monitor_samples) for a day.
 */
export class History {
  private readonly series = new Map<string, Point[]>();
  private flushedUpTo = 0;

  constructor(private readonly db: Pools, private readonly keepMs = HOUR_MS) {}

  record(figures: readonly Figure[], t: number): void {
    for (const figure of figures) {
      const key = figureKey(figure.name, figure.labels);
      let points = this.series.get(key);
      if (!points) this.series.set(key, (points = []));
      points.push({ t, v: figure.value });
      while (points.length > 0 && (points[0] as Point).t < t - this.keepMs) points.shift();
    }
    for (const [key, points] of this.series) if (points.length === 0 || (points.at(-1) as Point).t < t - this.keepMs) this.series.delete(key);
  }

  /** The points of one figure since `since`. */
  points(key: string, since: number): Point[] {
    return (this.series.get(key) ?? []).filter((p) => p.t >= since);
  }

  /** The keys of every series of a figure name. */
  keys(name: string): string[] {
    return [...this.series.keys()].filter((key) => key === name || key.startsWith(`${name}{`));
  }

  /** Minute averages from Postgres, for windows longer than the memory holds. */
  async stored(key: string, since: number): Promise<Point[]> {
    const { rows } = await this.db.read.query<{ t: number; v: number }>({
      name: 'monitor_samples.range',
      text: `SELECT (extract(epoch FROM ts) * 1000)::float8 AS t, value AS v FROM monitor_samples WHERE key = $1 AND ts >= to_timestamp($2 / 1000.0) ORDER BY ts`,
      values: [key, since],
    });
    return rows;
  }

  /** Writes the average of every finished minute not written yet, and prunes what is older than a day. */
  async flush(now: number): Promise<void> {
    const minute = Math.floor(now / 60_000) * 60_000;
    if (this.flushedUpTo === 0) this.flushedUpTo = minute;
    if (minute <= this.flushedUpTo) return;
    const keys: string[] = [];
    const times: number[] = [];
    const values: number[] = [];
    for (const [key, points] of this.series) {
      const buckets = new Map<number, number[]>();
      for (const p of points) {
        const m = Math.floor(p.t / 60_000) * 60_000;
        if (m < this.flushedUpTo || m >= minute) continue;
        buckets.set(m, [...(buckets.get(m) ?? []), p.v]);
      }
      for (const [m, vs] of buckets) {
        keys.push(key);
        times.push(m);
        values.push(vs.reduce((a, b) => a + b, 0) / vs.length);
      }
    }
    this.flushedUpTo = minute;
    if (keys.length > 0) {
      await this.db.write.query({
        name: 'monitor_samples.insert',
        text: `INSERT INTO monitor_samples (key, ts, value) SELECT k, to_timestamp(t / 1000.0), v FROM unnest($1::text[], $2::float8[], $3::float8[]) AS x(k, t, v)
               ON CONFLICT (key, ts) DO UPDATE SET value = EXCLUDED.value`,
        values: [keys, times, values],
      });
    }
    await this.db.write.query({ name: 'monitor_samples.prune', text: 'DELETE FROM monitor_samples WHERE ts < to_timestamp($1 / 1000.0)', values: [now - DAY_MS] });
  }
}
