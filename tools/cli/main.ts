/**
 * Meridian from the terminal, through the gateway.
 *
 *   npm run cli -- backtest --strategy <id|file.json> --symbol SPX [--from 2005-01-01] [--to …] [--interval 1d]
 *   npm run cli -- sweep --strategy <id|file.json> --symbol SPX --grid fast=5:50:5 --grid slow=100,150,200 [--objective sharpe] [--where "fast < slow"] [--top 10]
 *
 * MERIDIAN_API_KEY and MERIDIAN_URL (default http://127.0.0.1:3000) say where and as whom.
 * A file holds a rule spec, or { "spec": …, "config": … }.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError, Gateway, gatewayFromEnv } from './client.js';
import { bar, fixed, METRIC_ROWS, table } from './format.js';

const USAGE = `usage:
  npm run cli -- backtest --strategy <id|file.json> --symbol SPX [--from 2005-01-01] [--to 2020-12-31] [--interval 1d]
  npm run cli -- sweep --strategy <id|file.json> --symbol SPX --grid fast=5:50:5 --grid slow=100,150,200 [--objective sharpe|cagr|calmar|sortino] [--where "fast < slow"] [--top 10]`;

interface Accepted {
  id: string;
  state: string;
  links: Record<string, string>;
}

interface RunView {
  id: string;
  state: string;
  progress: number;
  error: string | null;
  metrics?: Record<string, unknown> | null;
  result?: { top: { rank: number; params: Record<string, unknown>; objective: number | null; metrics: Record<string, unknown> | null }[]; combinations: number; objective: string } | null;
  links: Record<string, string>;
}

/** --strategy: a saved strategy's id, or a JSON file with a spec (or { spec, config }). */
function target(value: string | undefined): Record<string, unknown> {
  if (!value) throw new CliError('--strategy is required: a strategy id, or a JSON file holding a rule spec.');
  if (!value.endsWith('.json') && !existsSync(value)) return { strategyId: value };
  if (!existsSync(value)) throw new CliError(`No file ${value}.`);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(value, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${value} is not JSON: ${(error as Error).message}`);
  }
  return 'spec' in parsed ? { spec: parsed.spec, ...(parsed.config ? { config: parsed.config } : {}) } : { spec: parsed };
}

/** fast=5:50:5 (from:to:step) or slow=100,150,200 (values). */
function grid(entries: string[] | undefined): Record<string, unknown> {
  if (!entries || entries.length === 0) throw new CliError('--grid is required, e.g. --grid fast=5:50:5 --grid slow=100,150,200');
  const out: Record<string, unknown> = {};
  for (const entry of entries) {
    const [name, values] = entry.split('=');
    if (!name || !values) throw new CliError(`--grid ${entry}: expected name=from:to:step or name=v1,v2,…`);
    const range = values.split(':').map(Number);
    if (range.length === 3 && range.every(Number.isFinite)) out[name] = { from: range[0], to: range[1], step: range[2] };
    else out[name] = values.split(',').map((v) => (Number.isFinite(Number(v)) && v.trim() !== '' ? Number(v) : v));
  }
  return out;
}

/** Follows the run's event stream, drawing a progress bar, and returns its final view. */
async function follow(gateway: Gateway, label: string, eventsPath: string): Promise<RunView> {
  let last: RunView | undefined;
  const tty = process.stderr.isTTY === true;
  let printed = -1;
  await gateway.events(eventsPath, ({ data }) => {
    last = JSON.parse(data) as RunView;
    if (tty) process.stderr.write(`\r${bar(label, last.progress, last.state)}\x1b[K`);
    else if (last.progress >= printed + 25 || ['completed', 'failed', 'cancelled'].includes(last.state)) {
      process.stderr.write(`${bar(label, last.progress, last.state)}\n`);
      printed = last.progress;
    }
  });
  if (tty) process.stderr.write('\n');
  if (!last) throw new CliError(`The event stream of ${label} ended without an event.`);
  return last;
}

function finished(view: RunView, what: string): void {
  if (view.state === 'failed') throw new CliError(`The ${what} failed: ${view.error ?? 'no reason given'}`);
  if (view.state === 'cancelled') throw new CliError(`The ${what} was cancelled.`);
  if (view.state !== 'completed') throw new CliError(`The event stream ended while the ${what} was ${view.state}; follow it with GET ${view.links.self}.`);
}

async function backtest(gateway: Gateway, values: Record<string, unknown>): Promise<void> {
  const body = { ...target(values.strategy as string | undefined), symbol: values.symbol, from: values.from, to: values.to, interval: values.interval };
  const accepted = await gateway.call<Accepted>('POST', '/v1/backtests', body);
  const view = await follow(gateway, 'backtest', accepted.links.events as string);
  finished(view, 'backtest');
  console.log(table([['metric', 'value'], ...METRIC_ROWS.map(([key, label, format]) => [label, format(view.metrics?.[key])])]));
  console.log(`\nreport: ${gateway.url(view.links.report as string)}`);
}

async function sweep(gateway: Gateway, values: Record<string, unknown>): Promise<void> {
  const where = values.where as string[] | undefined;
  const body = {
    ...target(values.strategy as string | undefined),
    symbol: values.symbol,
    from: values.from,
    to: values.to,
    interval: values.interval,
    grid: grid(values.grid as string[] | undefined),
    objective: values.objective,
    top: values.top === undefined ? 10 : Number(values.top),
    ...(where ? { constraints: { where } } : {}),
  };
  const accepted = await gateway.call<Accepted>('POST', '/v1/sweeps', body);
  const view = await follow(gateway, 'sweep', accepted.links.events as string);
  finished(view, 'sweep');
  const result = view.result;
  if (!result) throw new CliError('The sweep completed without a result.');
  console.log(`${result.combinations} parameter sets, ranked by ${result.objective}\n`);
  console.log(table([['rank', 'parameters', result.objective, 'CAGR', 'max DD', 'trades'], ...result.top.map((run) => [String(run.rank), Object.entries(run.params).map(([k, v]) => `${k}=${String(v)}`).join(' '), fixed(run.objective, 3), fixed(run.metrics?.cagr, 4), fixed(run.metrics?.maxDrawdown, 4), fixed(run.metrics?.tradeCount, 0)])]));
  console.log(`\nreport: ${gateway.url(view.links.report as string)}`);
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'backtest' && command !== 'sweep') throw new CliError(command ? `Unknown command "${command}".\n${USAGE}` : USAGE);
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        strategy: { type: 'string' },
        symbol: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        interval: { type: 'string' },
        grid: { type: 'string', multiple: true },
        objective: { type: 'string' },
        where: { type: 'string', multiple: true },
        top: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.symbol) throw new CliError('--symbol is required, e.g. --symbol SPX');
  const gateway = new Gateway(gatewayFromEnv());
  await (command === 'backtest' ? backtest(gateway, values) : sweep(gateway, values));
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  process.stderr.write(`meridian: ${error.message}\n`);
  process.exitCode = 1;
}
