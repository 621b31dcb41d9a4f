import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Config } from '@meridian/config';
import { createPools, ingestBars, InstrumentRepository } from '@meridian/db';
import type { BarSeries } from '@meridian/market';
import type { Service } from '@meridian/service';
import { createTestContext, signedRequest, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../src/app.js';
import { BarSource } from '../src/bars.js';
import { buildWorker, type BacktestWorker, type WorkerOptions } from '../src/jobs/workers.js';

/** The real S&P 500 daily bars 2000–2020 from the vega-datasets package. */
export function sp500File(): string {
  return join(dirname(dirname(createRequire(import.meta.url).resolve('vega-datasets'))), 'data/sp500-2000.csv');
}

/** Creates SPX and loads its daily bars into the test's database. */
export async function loadSpx(config: Config): Promise<number> {
  const pools = createPools(config.database, 'backtest-test');
  try {
    const { instrument } = await new InstrumentRepository(pools.write, pools.read).upsert({ symbol: 'SPX', name: 'S&P 500', assetClass: 'index', currency: 'USD' });
    const counts = await ingestBars(pools.write, { instrumentId: instrument.id, interval: '1d', format: 'csv', source: createReadStream(sp500File()) });
    return counts.inserted;
  } finally {
    await pools.close();
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Calls the service as the gateway would for `tenant`, with the signed internal header. */
export function callerFor(app: Service, tenant: string) {
  return (method: Method, url: string, payload?: object) => app.inject(signedRequest(app.config, method, url, { payload, caller: { tenant, keyId: `key-${tenant}` } }));
}

/** A worker process in this process: real BullMQ workers on the test's Redis prefix. */
export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<BacktestWorker> {
  const worker = await buildWorker(config, options);
  await worker.app.ready();
  return worker;
}

/** Polls until `read` returns a value `done` accepts; fails after `ms`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last value: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ResearchFile {
  ctx: TestContext;
  app: Service;
  /** The in-process worker; replace it with restartWorker. */
  worker: BacktestWorker | undefined;
  acme: ReturnType<typeof callerFor>;
  globex: ReturnType<typeof callerFor>;
  stopWorker(): Promise<void>;
  restartWorker(options?: WorkerOptions): Promise<void>;
  /** SPX daily bars in the window, read as the worker reads them. */
  spx(from?: string, to?: string): Promise<BarSeries>;
}

/** A test file's service and worker over its own database with SPX loaded; started before its tests and stopped after. */
export function researchFile(options: { worker?: boolean; env?: Record<string, string> } = {}): ResearchFile {
  const file = { worker: undefined } as ResearchFile;
  const config = () => file.ctx.config('backtest', options.env);
  file.stopWorker = async () => {
    await file.worker?.app.close();
    file.worker = undefined;
  };
  file.restartWorker = async (workerOptions) => {
    await file.stopWorker();
    file.worker = await startWorker(config(), workerOptions);
  };
  file.spx = async (from, to) => {
    const pools = createPools(file.ctx.config('backtest').database, 'test-bars');
    try {
      return await new BarSource(pools).load({ symbol: 'SPX', interval: '1d', from: from === undefined ? undefined : Date.parse(from), to: to === undefined ? undefined : Date.parse(to) });
    } finally {
      await pools.close();
    }
  };
  beforeAll(async () => {
    file.ctx = await createTestContext();
    await loadSpx(file.ctx.config('backtest'));
    file.app = await buildApp({ config: config() });
    if (options.worker !== false) file.worker = await startWorker(config());
    file.acme = callerFor(file.app, 'acme');
    file.globex = callerFor(file.app, 'globex');
  });
  afterAll(async () => {
    await file.stopWorker();
    await file.app?.close();
    await file.ctx?.cleanup();
  });
  return file;
}
