import type { BacktestRow, StoredTrade } from '@meridian/db';
import { drawdowns } from '../equity.js';
import { escapeHtml, number, page, percent, table, type Page } from '@meridian/service/html-page';

const METRICS: [string, string, (v: unknown) => string][] = [
  ['totalReturn', 'Total return', percent],
  ['cagr', 'CAGR', percent],
  ['annualVolatility', 'Volatility (annual)', percent],
  ['sharpe', 'Sharpe', (v) => number(v, 3)],
  ['sortino', 'Sortino', (v) => number(v, 3)],
  ['calmar', 'Calmar', (v) => number(v, 3)],
  ['maxDrawdown', 'Max drawdown', percent],
  ['maxDrawdownBars', 'Longest drawdown (bars)', (v) => number(v, 0)],
  ['tradeCount', 'Trades', (v) => number(v, 0)],
  ['winRate', 'Win rate', percent],
  ['profitFactor', 'Profit factor', (v) => number(v, 3)],
  ['expectancy', 'Expectancy', (v) => number(v, 2)],
  ['sqn', 'SQN', (v) => number(v, 3)],
  ['exposure', 'Exposure', percent],
];

interface GateReport {
  passed: boolean;
  verdicts: { metric: string; min?: number; max?: number; value: number | null; passed: boolean; reason?: string }[];
}

export function gatesTable(gates: unknown): string {
  const report = gates as GateReport | null;
  if (!report) return '<p class="sub">No gates: give the strategy some with PATCH /v1/strategies/{id}.</p>';
  const rows = report.verdicts.map((v) => [
    escapeHtml(v.metric),
    [v.min === undefined ? '' : `≥ ${v.min}`, v.max === undefined ? '' : `≤ ${v.max}`].filter(Boolean).join(', '),
    number(v.value, 4),
    `<span class="${v.passed ? 'pass' : 'fail'}">${v.passed ? 'pass' : 'fail'}</span>${v.reason ? ` <small>${escapeHtml(v.reason)}</small>` : ''}`,
  ]);
  return `<p class="${report.passed ? 'pass' : 'fail'}">${report.passed ? 'Every gate passes.' : 'Not every gate passes.'}</p>${table(['Metric', 'Bound', 'Value', 'Verdict'], rows)}`;
}

export function metricsTable(metrics: Record<string, unknown> | null): string {
  if (!metrics) return '<p class="sub">No metrics.</p>';
  return table(['Metric', 'Value'], METRICS.map(([key, label, format]) => [escapeHtml(label), format(metrics[key])]), 'metrics');
}

/** The chart script: price with entry and exit markers, equity, drawdown; shared by the validation page for its curve. */
export const CHART_SCRIPT = `
const sync = uPlot.sync('report');
const opts = (title, series, height) => ({ title, width: width(), height, cursor: { sync: { key: sync.key } }, scales: { x: { time: true } }, axes: [{}, { size: 80 }], series: [{}, ...series] });
const markers = (stroke) => ({ stroke, fill: stroke, width: 0, paths: () => null, points: { show: true, size: 9, fill: stroke } });
const t = data.ts.map((ms) => ms / 1000);
if (data.close) new uPlot(opts('Price', [{ label: 'close', stroke: '#3b5bdb', width: 1 }, { label: 'entry', ...markers('#2b8a3e') }, { label: 'exit', ...markers('#c92a2a') }], 260), [t, data.close, data.entries, data.exits], document.getElementById('price'));
new uPlot(opts('Equity', [{ label: 'equity', stroke: '#1d2330', width: 1.5 }], 220), [t, data.equity], document.getElementById('equity'));
new uPlot(opts('Drawdown', [{ label: 'drawdown %', stroke: '#c92a2a', fill: 'rgba(201,42,42,0.15)', width: 1 }], 160), [t, data.drawdown], document.getElementById('drawdown'));
`;

export function backtestReport(row: BacktestRow, curve: { ts: number[]; equity: number[]; close: number[] }, trades: StoredTrade[]): Page {
  const request = row.request as { spec?: unknown; from?: string | null; to?: string | null };
  const entries = new Array<number | null>(curve.ts.length).fill(null);
  const exits = new Array<number | null>(curve.ts.length).fill(null);
  const index = new Map(curve.ts.map((t, i) => [t, i]));
  for (const trade of trades) {
    const entry = index.get(trade.entryTime.getTime());
    const exit = index.get(trade.exitTime.getTime());
    if (entry !== undefined) entries[entry] = trade.entryPrice;
    if (exit !== undefined) exits[exit] = trade.exitPrice;
  }
  const data = { ts: curve.ts, close: curve.close, equity: curve.equity, drawdown: drawdowns(curve.equity).map((d) => -d * 100), entries, exits };
  const tradeRows = trades.map((t) => [
    String(t.seq),
    escapeHtml(t.side),
    t.entryTime.toISOString().slice(0, 10),
    number(t.entryPrice, 2),
    t.exitTime.toISOString().slice(0, 10),
    number(t.exitPrice, 2),
    number(t.pnl, 2),
    percent(t.return),
    String(t.barsHeld),
    escapeHtml(t.exitReason),
  ]);
  const first = curve.ts[0];
  const last = curve.ts.at(-1);
  const body = `
<h1>Backtest of ${escapeHtml(row.symbol)} (${escapeHtml(row.interval)})</h1>
<div class="sub">${first === undefined ? '' : new Date(first).toISOString().slice(0, 10)} to ${last === undefined ? '' : new Date(last).toISOString().slice(0, 10)} · rule <code>${escapeHtml(JSON.stringify(request.spec))}</code> · id ${escapeHtml(row.id)}</div>
<div id="price" class="chart"></div><div id="equity" class="chart"></div><div id="drawdown" class="chart"></div>
<div class="grid"><div><h2>Metrics</h2>${metricsTable(row.metrics)}</div><div><h2>Gates</h2>${gatesTable(row.gates)}</div></div>
<h2>Trades (${trades.length})</h2>
${table(['#', 'Side', 'Entry', 'Price', 'Exit', 'Price', 'P&L', 'Return', 'Bars', 'Exit reason'], tradeRows)}`;
  return page(`Backtest ${row.symbol} ${row.id}`, body, data, CHART_SCRIPT);
}
