/**
 * Prints live bars as they are stored, and resumes where it left off after a disconnect.
 *
 *   npm run live -- SPX SYNA [--interval 1d]      (MERIDIAN_API_KEY, MERIDIAN_URL as for the CLI)
 */
import { parseArgs } from 'node:util';
import { CliError, Gateway, gatewayFromEnv } from './client.js';

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { interval: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) throw new CliError('usage: npm run live -- <SYMBOL> [SYMBOL…] [--interval 1d]');
  const gateway = new Gateway(gatewayFromEnv());
  const path = `/v1/live?symbols=${positionals.join(',')}${values.interval ? `&interval=${values.interval}` : ''}`;
  let lastEventId: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      await gateway.events(path, ({ event, data }) => {
        if (event === 'bar') {
          const bar = JSON.parse(data) as { symbol: string; interval: string; ts: string; open: number; high: number; low: number; close: number; volume: number | null };
          console.log(`${bar.symbol} ${bar.interval} ${bar.ts}  O ${bar.open}  H ${bar.high}  L ${bar.low}  C ${bar.close}  V ${bar.volume ?? '—'}`);
        } else if (event === 'gap') console.error(`gap: ${data}`);
        else if (event === 'error') console.error(`the server closed the stream: ${data}`);
      }, { lastEventId, onId: (id) => (lastEventId = id), onOpen: () => console.error(`following ${positionals.join(', ')}${lastEventId ? ' (resumed)' : ''}`) });
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
