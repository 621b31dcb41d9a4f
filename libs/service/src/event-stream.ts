/** A client's side of Server-Sent Events, with no dependencies: the CLI and tests read streams with it. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Reads a text/event-stream body, calling `onEvent` for each event that has a name and data, until
 * the stream ends. `onId` sees every id, also one sent alone: as in a browser's EventSource, that
 * sets where a reconnect resumes without being an event.
 */
export async function readEventStream(body: AsyncIterable<Uint8Array>, onEvent: (event: ServerSentEvent) => void, onId?: (id: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      const id = /^id: (.*)$/m.exec(block)?.[1];
      if (id !== undefined) onId?.(id);
      if (event && data !== undefined) onEvent({ event, data, ...(id === undefined ? {} : { id }) });
    }
  }
}
