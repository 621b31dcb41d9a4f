/**
 * Prints live bars as they are stored, and resumes where it left off after a disconnect.
 *
 *   npm run live -- SPX SYNA [--interval 1d]      (MERIDIAN_API_KEY, MERIDIAN_URL as for the CLI)
 */
import { parseArgs } from 'node:util';
import { CliError, gatewayFromEnv } from './client.js';

async function follow(url: string, key: string, lastEventId: string | undefined, onEvent: (event: string, id: string | undefined, data: string) => void): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } });
  if (!res.ok || !res.body) throw new CliError(`GET /v1/live failed with ${res.status}: ${(await res.text()).slice(0, 300)}`);
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
      if (event && data) onEvent(event, /^id: (.*)$/m.exec(block)?.[1], data);
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { interval: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) throw new CliError('usage: npm run live -- <SYMBOL> [SYMBOL…] [--interval 1d]');
  const gateway = gatewayFromEnv();
  const url = `${gateway.url}/v1/live?symbols=${positionals.join(',')}${values.interval ? `&interval=${values.interval}` : ''}`;
  let lastEventId: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      await follow(url, gateway.key, lastEventId, (event, id, data) => {
        if (id) lastEventId = id;
        if (event === 'bar') {
          const bar = JSON.parse(data) as { symbol: string; interval: string; ts: string; open: number; high: number; low: number; close: number; volume: number | null };
          console.log(`${bar.symbol} ${bar.interval} ${bar.ts}  O ${bar.open}  H ${bar.high}  L ${bar.low}  C ${bar.close}  V ${bar.volume ?? '—'}`);
        } else if (event === 'gap') console.error(`gap: ${data}`);
        else if (event === 'error') console.error(`the server closed the stream: ${data}`);
      });
      attempt = 0;
    } catch (error) {
      if (error instanceof CliError && !error.message.includes('failed with 5')) throw error;
      console.error(`disconnected (${(error as Error).message}); resuming…`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1_000 * 2 ** attempt)));
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  process.stderr.write(`meridian: ${error.message}\n`);
  process.exitCode = 1;
}
