import type { Pools } from '@meridian/db';
import type { Alert } from './engine.js';

export interface StoredAlert {
  id: string;
  rule: string;
  labels: Record<string, string>;
  severity: string;
  status: string;
  value: number | null;
  summary: string;
  startsAt: Date;
  endsAt: Date | null;
}

/** Alert transitions in monitor_alerts: a firing alert is one row, updated as it escalates and resolves. */
export class AlertStore {
  constructor(private readonly db: Pools) {}

  async record(alert: Alert): Promise<void> {
    if (alert.status === 'firing') {
      await this.db.write.query({
        name: 'monitor_alerts.fire',
        text: `INSERT INTO monitor_alerts (fingerprint, rule, labels, severity, status, value, summary, starts_at)
               VALUES ($1, $2, $3, $4, 'firing', $5, $6, to_timestamp($7 / 1000.0))
               ON CONFLICT (fingerprint) WHERE status = 'firing' DO UPDATE SET severity = EXCLUDED.severity, value = EXCLUDED.value, summary = EXCLUDED.summary`,
        values: [alert.fingerprint, alert.rule, alert.labels, alert.severity, alert.value, alert.summary, alert.startsAt],
      });
    } else {
      await this.db.write.query({
        name: 'monitor_alerts.resolve',
        text: `UPDATE monitor_alerts SET status = 'resolved', value = $2, ends_at = to_timestamp($3 / 1000.0) WHERE fingerprint = $1 AND status = 'firing'`,
        values: [alert.fingerprint, alert.value, alert.endsAt],
      });
    }
  }

  async recent(limit: number): Promise<StoredAlert[]> {
    const { rows } = await this.db.read.query<StoredAlert>({
      name: 'monitor_alerts.recent',
      text: `SELECT id::text, rule, labels, severity, status, value, summary, starts_at AS "startsAt", ends_at AS "endsAt" FROM monitor_alerts ORDER BY starts_at DESC, id DESC LIMIT $1`,
      values: [limit],
    });
    return rows;
  }
}
