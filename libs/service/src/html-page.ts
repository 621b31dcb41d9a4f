import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyReply } from 'fastify';

/**
 * Self-contained HTML pages (backtest reports, the monitor's dashboard): markup, data as JSON and
 * uPlot inlined, under a Content-Security-Policy that runs only the page's own scripts.
 */

/** uPlot, read once from its package and inlined: a page needs nothing from any other host. */
const uplot = (() => {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('uplot/package.json').replace(/package\.json$/, '');
  return { js: readFileSync(`${dir}dist/uPlot.iife.min.js`, 'utf8'), css: readFileSync(`${dir}dist/uPlot.min.css`, 'utf8') };
})();

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** JSON that cannot close the script element it sits in. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

export const number = (value: unknown, digits = 4): string => (typeof value === 'number' && Number.isFinite(value) ? Number(value.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits }) : '—');
export const percent = (value: unknown): string => (typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(2)} %` : '—');

export function table(headers: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #1d2330; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.sub { color: #5b6478; margin-bottom: 16px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e3e6ee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.metrics td:first-child { color: #5b6478; }
.pass { color: #137333; font-weight: 600; } .fail { color: #b3261e; font-weight: 600; }
.chart { margin: 8px 0 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 0 32px; }
.heat td { text-align: center; min-width: 44px; color: #111; }
`;

export interface Page {
  html: string;
  /** The page's own Content-Security-Policy: its inline scripts by nonce, nothing from elsewhere. */
  csp: string;
}

export interface PageOptions {
  /** The page's script reads from its own origin (an event stream): `connect-src 'self'`. */
  connects?: boolean;
}

/** A whole page: `body` markup, `data` for `script` (read as JSON from #data), uPlot inlined. */
export function page(title: string, body: string, data: unknown, script: string, options: PageOptions = {}): Page {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${uplot.css}${STYLE}</style></head>
<body>
${body}
<script type="application/json" id="data">${scriptJson(data)}</script>
<script nonce="${nonce}">${uplot.js}</script>
<script nonce="${nonce}">
const data = JSON.parse(document.getElementById('data').textContent);
const width = () => Math.min(1100, document.body.clientWidth);
${script}
</script>
</body></html>`;
  const csp = `default-src 'none';${options.connects ? " connect-src 'self';" : ''} script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}

/** Answers with the page under its own policy; pages hold a tenant's data, so no cache keeps them. */
export function sendPage(reply: FastifyReply, page: Page): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('content-security-policy', page.csp).header('cache-control', 'private, no-store').send(page.html);
}
