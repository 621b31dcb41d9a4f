import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_PATH } from '@meridian/tools/stack/chromium';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKeyWithCli, ROOT, stackForFile } from './stack.js';

// The page's CSP forbids eval, so browser-side checks are functions; the e2e project has no DOM
// typings, so the little they touch is declared here.
declare const document: { body: { dataset: Record<string, string | undefined> } };

const INTERVAL_MS = 300;
const file = stackForFile('ops', 'read', ['gateway', 'signals', 'monitor'], { MONITOR_SCRAPE_INTERVAL_MS: String(INTERVAL_MS) });
let admin: Record<string, string>;

interface Overview {
  at: string;
  services: { name: string; status: string; routes: { route: string; count: number }[] }[];
}

const gateway = (path: string, init: RequestInit = {}, auth = file.auth) => fetch(`${file.url('gateway')}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
const overview = async (): Promise<Overview> => (await gateway('/v1/monitor/overview')).json() as Promise<Overview>;
const countOf = (o: Overview, route: string) => o.services.find((s) => s.name === 'signals')?.routes.find((r) => r.route === route)?.count ?? 0;

beforeAll(() => {
  admin = { authorization: `Bearer ${createKeyWithCli(file.env, 'ops', 'read,write,admin').trim()}` };
});

describe('the monitor on a running stack', () => {
  it("counts N requests to signals through the gateway within one scrape", async () => {
    const route = 'GET /v1/indicators';
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 2));
    const before = countOf(await overview(), route);
    for (let i = 0; i < 12; i++) expect((await gateway('/v1/indicators')).status).toBe(200);
    const sent = Date.now();
    let after = await overview();
    while (Date.parse(after.at) < sent + 10) {
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS / 3));
      after = await overview();
    }
    expect(countOf(after, route) - before).toBe(12);
  });

  it('shows the dashboard through a signed link in Chromium: every panel drawn, live, no console errors', async () => {
    const made = await gateway('/v1/links', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/v1/monitor/dashboard' }) });
    expect(made.status).toBe(201);
    const { url } = (await made.json()) as { url: string };
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
      const errors: string[] = [];
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      page.on('pageerror', (error) => errors.push(error.message));
      expect((await page.goto(url))?.status()).toBe(200);
      await page.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 2);
      const services = await page.locator('#services tr').allTextContents();
      expect(services.some((row) => row.includes('up signals'))).toBe(true);
      expect(await page.locator('.chart canvas').count()).toBe(6);
      // Traffic after the page opened shows up without a reload.
      const seen = Number(await page.evaluate(() => document.body.dataset.updates));
      for (let i = 0; i < 5; i++) await gateway('/v1/indicators');
      await page.waitForFunction((n) => Number(document.body.dataset.updates) >= n + 2, seen);
      const rate = await page.locator('#services tr', { hasText: 'signals' }).locator('td').nth(1).textContent();
      expect(Number(rate)).toBeGreaterThan(0);
      // A reload keeps working: the link is in the URL and its cookie in the browser.
      expect((await page.reload())?.status()).toBe(200);
      mkdirSync(join(ROOT, 'tmp/test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'tmp/test-artifacts/monitor-dashboard.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('serves Bull Board through the gateway, and refuses its actions to a key without admin', async () => {
    const board = await gateway('/v1/monitor/queues/');
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('Meridian queues');
    const api = await gateway('/v1/monitor/queues/api/queues');
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
    expect(names).toContain('signals.batch');
    const pause = await gateway('/v1/monitor/queues/api/queues/signals.batch/pause', { method: 'PUT' });
    expect(pause.status).toBe(403);
    expect((await gateway('/v1/monitor/queues/api/queues/signals.batch/pause', { method: 'PUT' }, admin)).status).toBe(200);
    expect((await gateway('/v1/monitor/queues/api/queues/signals.batch/resume', { method: 'PUT' }, admin)).status).toBe(200);
  });
});
