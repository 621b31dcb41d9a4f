import type { Alert } from './engine.js';

/**
 * Alertmanager's webhook payload (version 4), one alert per call, so receivers built for
 * Alertmanager (chat bridges, incident tools) take the monitor's alerts as they are.
 */
export function alertmanagerPayload(alert: Alert, externalUrl: string) {
  const labels = { alertname: alert.rule, severity: alert.severity, ...alert.labels };
  return {
    version: '4',
    groupKey: `{}:{alertname="${alert.rule}"}`,
    truncatedAlerts: 0,
    status: alert.status,
    receiver: 'meridian-monitor',
    groupLabels: { alertname: alert.rule },
    commonLabels: labels,
    commonAnnotations: { summary: alert.summary },
    externalURL: externalUrl,
    alerts: [
      {
        status: alert.status,
        labels,
        annotations: { summary: alert.summary, value: String(alert.value) },
        startsAt: new Date(alert.startsAt).toISOString(),
        endsAt: alert.endsAt === null ? '0001-01-01T00:00:00Z' : new Date(alert.endsAt).toISOString(),
        generatorURL: `${externalUrl}/v1/monitor/alerts`,
        fingerprint: alert.fingerprint,
      },
    ],
  };
}

/** POSTs each transition; a receiver that fails is logged and the next transition tried anyway. */
export async function postAlert(url: string, alert: Alert, externalUrl: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alertmanagerPayload(alert, externalUrl)), signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`the webhook answered ${res.status}`);
}
