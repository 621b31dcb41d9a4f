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

  /** Reads a Server-Sent Events stream, calling `onEvent` for each event, until the server ends it. */
  async events(path: string, onEvent: (event: string, data: unknown) => void): Promise<void> {
    const res = await fetch(this.url(path), { headers: { authorization: `Bearer ${this.options.key}`, accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new CliError(`GET ${path} failed with ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) onEvent(event, JSON.parse(data));
      }
    }
  }
}
