import { page, type Page } from '@meridian/service/html-page';
import type { Monitor } from '../../monitor.js';

/** The charts of the dashboard: a figure (service- or queue-level series) each. */
export const CHARTS = [
  { id: 'rate', title: 'Requests per second', figure: 'request_rate', by: 'service', without: 'route' },
  { id: 'p95', title: 'p95 latency (s)', figure: 'service_p95_seconds', by: 'service' },
  { id: 'errors', title: 'Error ratio (5xx)', figure: 'error_ratio', by: 'service', without: 'route' },
  { id: 'waiting', title: 'Jobs waiting', figure: 'queue_waiting', by: 'queue' },
  { id: 'oldest', title: 'Oldest waiting job (s)', figure: 'queue_oldest_waiting_seconds', by: 'queue' },
  { id: 'hits', title: 'Cache L1 hit ratio', figure: 'cache_hit_ratio', by: 'service', tier: 'l1' },
] as const;

const HISTORY_MS = 15 * 60_000;

/** Each chart's series over the last 15 minutes, aligned on the monitor's rounds. */
function history(monitor: Monitor, now: number) {
  const out: Record<string, { labels: string[]; t: number[]; values: (number | null)[][] }> = {};
  for (const chart of CHARTS) {
    const keys = monitor.history.keys(chart.figure).filter((key) => !('without' in chart) || !key.includes(`${chart.without}=`)).filter((key) => !('tier' in chart) || key.includes(`tier="${chart.tier}"`));
    const series = keys.map((key) => ({ label: new RegExp(`${chart.by}="([^"]*)"`).exec(key)?.[1] ?? key, points: monitor.history.points(key, now - HISTORY_MS) }));
    const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
    out[chart.id] = {
      labels: series.map((s) => s.label),
      t: times,
      values: series.map((s) => {
        const at = new Map(s.points.map((p) => [p.t, p.v]));
        return times.map((t) => at.get(t) ?? null);
      }),
    };
  }
  return out;
}

// Runs in the browser: draws the charts from the embedded history, then follows the stream.
const SCRIPT = `
const charts = {};
const palette = ['#3b5bdb', '#e8590c', '#2b8a3e', '#c92a2a', '#7048e8', '#0c8599', '#5c940d', '#862e9c'];
const pick = (o, path) => path.split('.').reduce((v, k) => (v == null ? v : v[k]), o);
const CHARTS = data.charts;
function make(chart) {
  const h = data.history[chart.id];
  const state = { labels: h.labels.slice(), t: h.t.map((ms) => ms / 1000), values: h.values.map((v) => v.slice()) };
  const opts = () => ({ title: chart.title, width: Math.min(540, width() - 20), height: 200, scales: { x: { time: true } }, axes: [{}, { size: 60 }],
    series: [{}, ...state.labels.map((label, i) => ({ label, stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))] });
  const el = document.getElementById('chart-' + chart.id);
  state.plot = new uPlot(opts(), [state.t, ...state.values], el);
  state.rebuild = () => { state.plot.destroy(); el.textContent = ''; state.plot = new uPlot(opts(), [state.t, ...state.values], el); };
  charts[chart.id] = state;
}
CHARTS.forEach(make);
function valuesOf(chart, o) {
  const out = {};
  if (chart.by === 'queue') for (const q of o.queues) out[q.queue] = q[chart.field];
  else for (const s of o.services) out[s.name] = pick(s, chart.field);
  return out;
}
function append(o) {
  const t = Date.parse(o.at) / 1000;
  for (const chart of CHARTS) {
    const state = charts[chart.id];
    const values = valuesOf(chart, o);
    let grew = false;
    for (const label of Object.keys(values)) {
      if (values[label] == null || state.labels.includes(label)) continue;
      state.labels.push(label);
      state.values.push(state.t.map(() => null));
      grew = true;
    }
    state.t.push(t);
    state.labels.forEach((label, i) => state.values[i].push(values[label] ?? null));
    if (state.t.length > 900) { state.t.shift(); state.values.forEach((v) => v.shift()); }
    if (grew) state.rebuild(); else state.plot.setData([state.t, ...state.values]);
  }
}
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const num = (v, d = 3) => (v == null ? '—' : Number(v).toFixed(d));
function rows(id, list, cells) {
  document.getElementById(id).innerHTML = list.length === 0 ? '<tr><td colspan="9" class="sub">none</td></tr>' : list.map((x) => '<tr>' + cells(x).map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('');
}
function render(o) {
  document.getElementById('score').textContent = o.score;
  document.getElementById('score').className = 'score ' + (o.score >= 90 ? 'pass' : o.score >= 60 ? 'warn' : 'fail');
  document.getElementById('at').textContent = new Date(o.at).toLocaleTimeString();
  rows('reasons', o.reasons, (r) => [esc(r.reason), '−' + r.points]);
  rows('services', o.services, (s) => ['<span class="' + (s.status === 'up' ? 'pass' : 'fail') + '">' + s.status + '</span> ' + esc(s.name), num(s.requestRate, 2), num(s.errorRatio, 4), num(s.p95, 4), s.lastSeen ? new Date(s.lastSeen).toLocaleTimeString() : 'never']);
  rows('queues', o.queues, (q) => [esc(q.queue), q.waiting, num(q.active, 0), num(q.failed, 0), num(q.oldestWaitingSeconds, 1), num(q.jobsPerMinute, 1), num(q.jobP95Seconds, 3)]);
  rows('alerts', o.alerts, (a) => ['<span class="' + (a.severity === 'critical' ? 'fail' : 'warn') + '">' + a.severity + '</span>', esc(a.rule), esc(a.summary), new Date(a.startsAt).toLocaleTimeString()]);
  rows('predictions', o.predictions.filter((p) => p.breachAt), (p) => [esc(p.rule), esc(Object.values(p.labels).join(' ')), num(p.value, 0), num(p.in30m, 0), new Date(p.breachAt).toLocaleTimeString(), num(p.r2, 2)]);
  rows('slow', o.services.filter((s) => s.database.queryMeanSeconds != null).sort((a, b) => b.database.queryMeanSeconds - a.database.queryMeanSeconds), (s) => [esc(s.name), num(s.database.queryMeanSeconds * 1000, 2) + ' ms', num(s.database.poolWaiting, 0)]);
}
if (data.overview) render(data.overview);
const source = new EventSource('dashboard/stream' + location.search);
source.addEventListener('overview', (event) => { const o = JSON.parse(event.data); render(o); append(o); document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1); });
`;

const FIELDS: Record<(typeof CHARTS)[number]['id'], string> = { rate: 'requestRate', p95: 'p95', errors: 'errorRatio', waiting: 'waiting', oldest: 'oldestWaitingSeconds', hits: 'cache.l1HitRatio' };

export function dashboardPage(monitor: Monitor, now = Date.now()): Page {
  const body = `
<style>.score { font-size: 40px; font-weight: 700; } .warn { color: #b35c00; font-weight: 600; } .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 8px 24px; }</style>
<h1>Meridian</h1>
<div class="sub">health <span id="score" class="score">–</span> / 100 · updated <span id="at">–</span> · <a href="queues/">queues</a></div>
<table><tbody id="reasons"></tbody></table>
<h2>Services</h2>
<table><thead><tr><th>Service</th><th>req/s</th><th>errors</th><th>p95 (s)</th><th>last seen</th></tr></thead><tbody id="services"></tbody></table>
<div class="charts">${CHARTS.map((c) => `<div id="chart-${c.id}" class="chart"></div>`).join('')}</div>
<div class="grid">
<div><h2>Alerts firing</h2><table><thead><tr><th>Severity</th><th>Rule</th><th>Summary</th><th>Since</th></tr></thead><tbody id="alerts"></tbody></table></div>
<div><h2>Predicted breaches</h2><table><thead><tr><th>Rule</th><th>Of</th><th>Now</th><th>In 30 min</th><th>Crosses at</th><th>R²</th></tr></thead><tbody id="predictions"></tbody></table></div>
</div>
<h2>Queues</h2>
<table><thead><tr><th>Queue</th><th>waiting</th><th>active</th><th>failed</th><th>oldest (s)</th><th>jobs/min</th><th>p95 (s)</th></tr></thead><tbody id="queues"></tbody></table>
<h2>Slow queries</h2>
<table><thead><tr><th>Service</th><th>mean query</th><th>waiting for a connection</th></tr></thead><tbody id="slow"></tbody></table>`;
  const data = { charts: CHARTS.map((c) => ({ ...c, field: FIELDS[c.id] })), history: history(monitor, now), overview: monitor.overview() ?? null };
  return page('Meridian monitor', body, data, SCRIPT, { connects: true });
}
