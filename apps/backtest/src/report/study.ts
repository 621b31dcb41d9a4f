import type { StudyRow } from '@meridian/db';
import { drawdowns } from '../equity.js';
import type { SweepResult } from '../jobs/sweep.js';
import { CHART_SCRIPT, gatesTable, metricsTable } from './backtest.js';
import { escapeHtml, number, page, table, type Page } from '@meridian/service/html-page';

/** Red (worst) to green (best) through yellow; grey for a set with no objective. */
function colour(value: number | null, lo: number, hi: number): string {
  if (value === null) return '#e9ecef';
  const share = hi === lo ? 1 : (value - lo) / (hi - lo);
  return `hsl(${Math.round(share * 120)}, 70%, 72%)`;
}

const label = (value: unknown) => escapeHtml(String(value));

/**
 * The objective over the first two parameters (rows × columns); with more parameters each cell
 * shows the best value over the rest, with one parameter a single row.
 */
function heatmap(result: SweepResult): string {
  const names = Object.keys(result.grid[0]?.params ?? {});
  const [rowName, colName] = names;
  if (rowName === undefined) return '';
  const rows = [...new Set(result.grid.map((g) => g.params[rowName]))];
  const cols = colName === undefined ? [''] : [...new Set(result.grid.map((g) => g.params[colName]))];
  const best = new Map<string, number | null>();
  for (const { params, objective } of result.grid) {
    const key = `${String(params[rowName])}|${colName === undefined ? '' : String(params[colName])}`;
    const current = best.get(key);
    if (current === undefined || (objective !== null && (current === null || objective > current))) best.set(key, objective);
  }
  const values = [...best.values()].filter((v): v is number => v !== null);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const head = `<tr><th>${label(rowName)} \\ ${label(colName ?? '')}</th>${cols.map((c) => `<th>${label(c)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => {
      const cells = cols.map((c) => {
        const value = best.get(`${String(r)}|${String(c)}`);
        return value === undefined ? '<td></td>' : `<td style="background:${colour(value, lo, hi)}" title="${escapeHtml(`${rowName}=${String(r)} ${colName ?? ''}=${String(c)}`)}">${number(value, 2)}</td>`;
      });
      return `<tr><th>${label(r)}</th>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="heat" id="heatmap"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function sweepReport(row: StudyRow, result: SweepResult): Page {
  const request = row.request as { symbol?: string; objective?: string };
  const top = result.top.map((run) => [
    String(run.rank),
    escapeHtml(Object.entries(run.params).map(([k, v]) => `${k}=${String(v)}`).join(', ')),
    number(run.objective, 4),
    number(run.metrics?.sharpe, 3),
    number(run.metrics?.cagr, 4),
    number(run.metrics?.maxDrawdown, 4),
    number(run.metrics?.tradeCount, 0),
  ]);
  const body = `
<h1>Sweep of ${escapeHtml(request.symbol ?? '')}: ${escapeHtml(result.objective)}</h1>
<div class="sub">${result.combinations} parameter sets, ${result.invalid} invalid · id ${escapeHtml(row.id)}</div>
<h2>Objective by parameters</h2>${heatmap(result)}
<h2>Top ${result.top.length}</h2>${table(['Rank', 'Parameters', request.objective ?? 'objective', 'Sharpe', 'CAGR', 'Max DD', 'Trades'], top)}
<h2>Gates (best set)</h2>${gatesTable(row.gates)}`;
  return page(`Sweep ${row.id}`, body, {}, '');
}

interface ValidationResultDoc {
  splits: { inSample: { from: number; to: number }; outOfSample: { from: number; to: number }; params: Record<string, unknown> | null; inSampleObjective: number | null; outOfSampleObjective: number | null }[];
  equity: { ts: number[]; equity: number[] };
  metrics: Record<string, unknown> | null;
  inSampleObjective: number | null;
  outOfSampleObjective: number | null;
  efficiency: number | null;
}

function validationReport(row: StudyRow, result: ValidationResultDoc): Page {
  const request = row.request as { symbol?: string; mode?: string; objective?: string };
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const splits = result.splits.map((s, i) => [
    String(i + 1),
    `${day(s.inSample.from)} – ${day(s.inSample.to)}`,
    `${day(s.outOfSample.from)} – ${day(s.outOfSample.to)}`,
    escapeHtml(s.params ? Object.entries(s.params).map(([k, v]) => `${k}=${String(v)}`).join(', ') : 'none'),
    number(s.inSampleObjective, 3),
    number(s.outOfSampleObjective, 3),
  ]);
  const data = { ts: result.equity.ts, equity: result.equity.equity, drawdown: drawdowns(result.equity.equity).map((d) => -d * 100) };
  const body = `
<h1>Walk-forward validation of ${escapeHtml(request.symbol ?? '')} (${escapeHtml(request.mode ?? '')})</h1>
<div class="sub">${result.splits.length} splits · ${escapeHtml(request.objective ?? '')} in-sample ${number(result.inSampleObjective, 3)}, out-of-sample ${number(result.outOfSampleObjective, 3)}, efficiency ${number(result.efficiency, 3)} · id ${escapeHtml(row.id)}</div>
<div id="equity" class="chart"></div><div id="drawdown" class="chart"></div>
<div class="grid"><div><h2>Out-of-sample metrics</h2>${metricsTable(result.metrics)}</div><div><h2>Gates</h2>${gatesTable(row.gates)}</div></div>
<h2>Splits</h2>${table(['#', 'In-sample', 'Out-of-sample', 'Winner', 'IS objective', 'OOS objective'], splits)}`;
  return page(`Validation ${row.id}`, body, data, CHART_SCRIPT);
}

export function studyReport(row: StudyRow): Page {
  return row.kind === 'sweep' ? sweepReport(row, row.result as SweepResult) : validationReport(row, row.result as ValidationResultDoc);
}
