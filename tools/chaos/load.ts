/** One request a load loop made: when it started and ended (ms since the loop began) and what came of it. */
export interface Outcome {
  route: string;
  start: number;
  end: number;
  /** HTTP status, or 0 when no response came (refused, reset, timed out). */
  status: number;
  error?: string;
}

export interface Load {
  /** Ms since the load began. */
  now(): number;
  outcomes: Outcome[];
  stop(): Promise<Outcome[]>;
}

/**
 * `concurrency` loops, each sending the next of `requests` (round robin) as soon as the previous
 * one ended, until stopped. Every request gives up after `timeoutMs`.
 */
export function startLoad(requests: { route: string; send: (signal: AbortSignal) => Promise<Response> }[], options: { concurrency: number; timeoutMs?: number; pauseMs?: number }): Load {
  const began = performance.now();
  const now = () => performance.now() - began;
  const outcomes: Outcome[] = [];
  let running = true;
  let next = 0;
  const loop = async () => {
    while (running) {
      const request = requests[next++ % requests.length] as (typeof requests)[number];
      const start = now();
      try {
        const response = await request.send(AbortSignal.timeout(options.timeoutMs ?? 10_000));
        await response.arrayBuffer();
        outcomes.push({ route: request.route, start, end: now(), status: response.status });
      } catch (error) {
        outcomes.push({ route: request.route, start, end: now(), status: 0, error: (error as Error).cause ? String((error as { cause: { code?: string } }).cause.code ?? (error as Error).message) : (error as Error).message });
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const loops = Array.from({ length: options.concurrency }, loop);
  return {
    now,
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** What a table row says of a load: requests sent, failed (no answer), 5xx, and the slowest. */
export function summarise(outcomes: readonly Outcome[]) {
  const sorted = outcomes.map((o) => o.end - o.start).sort((a, b) => a - b);
  return {
    sent: outcomes.length,
    failed: outcomes.filter((o) => o.status === 0).length,
    serverErrors: outcomes.filter((o) => o.status >= 500).length,
    p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
    maxMs: sorted.at(-1) ?? 0,
  };
}

/** Ms from `from` until the first of `streak` successes in a row of `route` that started after it, or undefined. */
export function recoveredAfter(outcomes: readonly Outcome[], route: string, from: number, streak = 3): number | undefined {
  const after = outcomes.filter((o) => o.route === route && o.start >= from).sort((a, b) => a.start - b.start);
  for (let i = 0; i + streak <= after.length; i++) {
    if (after.slice(i, i + streak).every((o) => o.status >= 200 && o.status < 300)) return (after[i] as Outcome).end - from;
  }
  return undefined;
}
