export interface ProbeResult {
  name: string;
  url: string;
  status: 'ready' | 'unavailable' | 'unreachable';
  latencyMs: number;
  checks?: Record<string, unknown>;
  error?: string;
}

/**
 * Asks each service's /health/ready, in parallel, each bounded by the timeout; with the scrapers'
 * `token`, each answer names its dependencies' checks too.
 */
export async function probeServices(upstreams: Readonly<Record<string, string>>, { timeoutMs = 1_000, token }: { timeoutMs?: number; token?: string } = {}): Promise<ProbeResult[]> {
  return Promise.all(
    Object.entries(upstreams).map(async ([name, url]): Promise<ProbeResult> => {
      const started = performance.now();
      const latency = () => Math.round((performance.now() - started) * 100) / 100;
      try {
        const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
        const res = await fetch(`${url}/health/ready`, { headers, signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.json()) as { checks?: Record<string, unknown> };
        return { name, url, status: res.ok ? 'ready' : 'unavailable', latencyMs: latency(), ...(body.checks ? { checks: body.checks } : {}) };
      } catch (error) {
        const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
        return { name, url, status: 'unreachable', latencyMs: latency(), error: cause ?? (error as Error).message };
      }
    }),
  );
}
