import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemoData } from '@meridian/tools/data/demo';
import { CHROMIUM_PATH } from '@meridian/tools/stack/chromium';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, stackForFile } from './stack.js';

const file = stackForFile('acme', 'read,write', ['gateway', 'backtest']);
const ARTIFACTS = join(ROOT, 'tmp/test-artifacts');

/** The CLI as a user runs it, against this file's stack. */
function cli(args: string[], key = file.auth.authorization?.replace('Bearer ', '') ?? '') {
  return spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'tools/cli/main.ts'), ...args], {
    env: { ...process.env, MERIDIAN_URL: file.url('gateway'), MERIDIAN_API_KEY: key },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

let reportUrl = '';

interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

beforeAll(async () => {
  await loadDemoData(file.ctx.config('backtest').database, () => undefined);
});

describe('the backtest service from the terminal and the browser', () => {
  it('runs a backtest from the CLI with live progress and prints its metrics and report link', () => {
    const result = cli(['backtest', '--strategy', join(ROOT, 'e2e/test/fixtures/golden-cross.json'), '--symbol', 'SPX', '--from', '2005-01-01']);
    expect(result.stderr).toMatch(/backtest \[#{30}\] 100% completed/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Sharpe\s+-?\d+\.\d{3}$/m);
    expect(result.stdout).toMatch(/^trades\s+\d+$/m);
    reportUrl = /^report: (\S+)$/m.exec(result.stdout)?.[1] ?? '';
    expect(reportUrl).toMatch(new RegExp(`^${file.url('gateway')}/v1/backtests/bt-[0-9a-f]+/report\\?link=`));
  });

  it('opens the report from its signed link in Chromium: charts drawn, no console errors', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
      const errors: string[] = [];
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      page.on('pageerror', (error) => errors.push(error.message));
      const response = await page.goto(reportUrl);
      expect(response?.status()).toBe(200);
      await page.waitForSelector('#drawdown canvas');
      // Each chart has painted: its canvas holds many non-blank pixels.
      const painted = await page.$$eval('.chart canvas', (canvases) =>
        canvases.map((element) => {
          // The e2e project has no DOM typings: the little of a canvas this reads, typed here.
          const canvas = element as unknown as Canvas;
          const { data } = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height) ?? { data: [] };
          let inked = 0;
          for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) inked++;
          return inked;
        }),
      );
      expect(painted).toHaveLength(3);
      for (const inked of painted) expect(inked).toBeGreaterThan(2_000);
      expect(await page.locator('table.metrics td').first().textContent()).toBe('Total return');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'backtest-report.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('honours a link only for its own page, for GET, with its signature intact', async () => {
    const url = new URL(reportUrl);
    const link = url.searchParams.get('link') as string;
    const other = await fetch(`${file.url('gateway')}/v1/backtests?link=${link}`);
    expect(other.status).toBe(401);
    const tampered = await fetch(`${url.origin}${url.pathname}?link=${link.slice(0, -2)}AA`);
    expect(tampered.status).toBe(401);
    expect((await fetch(reportUrl, { method: 'DELETE' })).status).toBe(401);
    const made = await fetch(`${file.url('gateway')}/v1/links`, { method: 'POST', headers: { ...file.auth, 'content-type': 'application/json' }, body: JSON.stringify({ path: url.pathname }) });
    expect(made.status).toBe(201);
    const fresh = (await made.json()) as { url: string; expiresAt: string };
    expect(Date.parse(fresh.expiresAt) - Date.now()).toBeGreaterThan(3_500_000);
    expect((await fetch(fresh.url)).status).toBe(200);
  });

  it("leaves a cookie scoped to the page, so the page's own requests are granted without the link", async () => {
    const url = new URL(reportUrl);
    const opened = await fetch(reportUrl);
    const cookie = opened.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^meridian_link=[\\w.-]+; Path=${url.pathname}; Max-Age=\\d+; HttpOnly; SameSite=Strict$`));
    const pair = cookie.split(';')[0] as string;
    expect((await fetch(`${url.origin}${url.pathname}`, { headers: { cookie: pair } })).status).toBe(200);
    expect((await fetch(`${url.origin}/v1/backtests`, { headers: { cookie: pair } })).status).toBe(401);
  });

  it('runs a sweep from the CLI and prints the top 10', () => {
    const result = cli(['sweep', '--strategy', join(ROOT, 'e2e/test/fixtures/golden-cross.json'), '--symbol', 'SPX', '--grid', 'fast=5:50:5', '--grid', 'slow=100,150,200', '--where', 'fast < slow']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^30 parameter sets, ranked by sharpe$/m);
    expect(result.stdout.match(/^\s*\d+\s+fast=\d+ slow=\d+/gm)).toHaveLength(10);
  });

  it('says in one line what went wrong, and exits non-zero', () => {
    const unknown = cli(['backtest', '--strategy', join(ROOT, 'e2e/test/fixtures/golden-cross.json'), '--symbol', 'NOPE']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim()).toBe('meridian: POST /v1/backtests failed with 400: No instrument NOPE. List them with GET /v1/instruments.');
    const badKey = cli(['backtest', '--strategy', 'x', '--symbol', 'SPX'], 'mk_00000000_0000000000000000000000000000000000000000000000');
    expect(badKey.status).toBe(1);
    expect(badKey.stderr.trim().split('\n')).toHaveLength(1);
    expect(badKey.stderr).toMatch(/^meridian: POST \/v1\/backtests failed with 401/);
  });
});
