/** Plain-text output for the terminal: a progress bar and aligned tables. */
export function bar(label: string, percent: number, state: string): string {
  const width = 30;
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(percent)).padStart(3)}% ${state}`;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')).join('\n');
}

export const fixed = (value: unknown, digits: number): string => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—');
export const pct = (value: unknown): string => (typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(2)} %` : '—');

export const METRIC_ROWS: [string, string, (v: unknown) => string][] = [
  ['totalReturn', 'total return', pct],
  ['cagr', 'CAGR', pct],
  ['annualVolatility', 'volatility', pct],
  ['sharpe', 'Sharpe', (v) => fixed(v, 3)],
  ['sortino', 'Sortino', (v) => fixed(v, 3)],
  ['calmar', 'Calmar', (v) => fixed(v, 3)],
  ['maxDrawdown', 'max drawdown', pct],
  ['tradeCount', 'trades', (v) => fixed(v, 0)],
  ['winRate', 'win rate', pct],
  ['profitFactor', 'profit factor', (v) => fixed(v, 3)],
  ['exposure', 'exposure', pct],
];
