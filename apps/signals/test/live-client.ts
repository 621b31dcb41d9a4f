import { readEventStream, type Service } from '@meridian/service';
import { signedHeaders } from '@meridian/service/testing';

interface Received {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** An SSE client over fetch: collects events until closed. */
export function subscribe(base: string, path: string, config: Service['config'], headers: Record<string, string> = {}) {
  const events: Received[] = [];
  const controller = new AbortController();
  let ended = false;
  let lastId: string | undefined;
  const done = (async () => {
    const res = await fetch(`${base}${path}`, { headers: { ...signedHeaders(config, 'GET', path), ...headers }, signal: controller.signal });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    try {
      await readEventStream(res.body as AsyncIterable<Uint8Array>, ({ event, id, data }) => events.push({ event, id, data: JSON.parse(data) as Record<string, unknown> }), (id) => (lastId = id));
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
    ended = true;
  })();
  return {
    events,
    bars: () => events.filter((e) => e.event === 'bar'),
    ended: () => ended,
    /** The id a reconnect would send: the newest one the stream set. */
    lastId: () => lastId,
    async until(check: () => boolean, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(events).slice(0, 800)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: async () => {
      controller.abort();
      await done.catch(() => undefined);
    },
  };
}

