import { parsePrometheusText, type Sample } from '@meridian/telemetry/prometheus-text';

export interface Scrape {
  target: string;
  at: number;
  /** /health/ready answered 200 and /metrics could be read. */
  up: boolean;
  samples: Sample[];
  error?: string;
}

// Uncompressed: compressing a scrape costs the scraped service about as much CPU as rendering it
// (BENCHMARKS.md, "Monitor"), and the monitor sits beside the services, where bytes are cheap.
async function get(url: string, token: string, timeoutMs: number): Promise<Response> {
  return fetch(url, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' }, signal: AbortSignal.timeout(timeoutMs) });
}

/** Reads one target's readiness and metrics; a target that does not answer is down, with the reason. */
export async function scrape(target: string, base: string, token: string, timeoutMs: number): Promise<Scrape> {
  const at = Date.now();
  try {
    const [ready, metrics] = await Promise.all([get(`${base}/health/ready`, token, timeoutMs), get(`${base}/metrics`, token, timeoutMs)]);
    const text = await metrics.text();
    await ready.arrayBuffer();
    if (!metrics.ok) return { target, at, up: false, samples: [], error: `GET /metrics answered ${metrics.status}` };
    return { target, at, up: ready.ok, samples: parsePrometheusText(text), ...(ready.ok ? {} : { error: `GET /health/ready answered ${ready.status}` }) };
  } catch (error) {
    const cause = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
    return { target, at, up: false, samples: [], error: cause };
  }
}
