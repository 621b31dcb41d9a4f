import { readEventStream, type ServerSentEvent } from '@meridian/service/event-stream';

/** A small client of the gateway for the CLI: JSON calls whose failures are one clear line, and SSE streams. */
export class CliError extends Error {}

export interface GatewayOptions {
  url: string;
  key: string;
}

export function gatewayFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const key = env.MERIDIAN_API_KEY;
  if (!key) throw new CliError('MERIDIAN_API_KEY is not set. Export an API key (npm start prints the demo key; `npm run keys -- create` makes one).');
  return { url: (env.MERIDIAN_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, ''), key };
}

export class Gateway {
  constructor(private readonly options: GatewayOptions) {}

  /** An absolute URL for a path the API returned. */
  url(path: string): string {
    return `${this.options.url}${path}`;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: { authorization: `Bearer ${this.options.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CliError(`Cannot reach the gateway at ${this.options.url} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}). Start it with npm start, or set MERIDIAN_URL.`);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const problem = JSON.parse(text) as { detail?: string; title?: string };
        detail = problem.detail ?? problem.title ?? detail;
      } catch {
        // Not a problem document: the text itself says what went wrong.
      }
      throw new CliError(`${method} ${path} failed with ${res.status}: ${detail}`);
    }
    return JSON.parse(text) as T;
  }

  /** Follows a Server-Sent Events stream until the server ends it; `lastEventId` resumes one, `onOpen` hears that it started. */
  async events(path: string, onEvent: (event: ServerSentEvent) => void, { lastEventId, onOpen, onId }: { lastEventId?: string | undefined; onOpen?: () => void; onId?: (id: string) => void } = {}): Promise<void> {
    const res = await fetch(this.url(path), {
      headers: { authorization: `Bearer ${this.options.key}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    });
    if (!res.ok || !res.body) throw new CliError(`GET ${path.split('?')[0]} failed with ${res.status}: ${(await res.text()).slice(0, 300)}`);
    onOpen?.();
    await readEventStream(res.body, onEvent, onId);
  }
}
