import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Config } from '@meridian/config';
import { createPools, ingestBars, InstrumentRepository } from '@meridian/db';
import type { Service } from '@meridian/service';
import { signedRequest } from '@meridian/service/testing';
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
