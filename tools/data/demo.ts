import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { DatabaseConfig } from '@meridian/config';
import { applyPendingRollups, BarRepository, createPools, ingestBars, InstrumentRepository, type NewInstrumentRow } from '@meridian/db';
import { syntheticCsv } from './synthetic.js';

/** The real S&P 500 daily bars 2000–2020, shipped in the vega-datasets package. */
export function sp500File(): string {
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(dirname(entry)), 'data/sp500-2000.csv');
}

const SYNTHETIC: { symbol: string; seed: number; price: number }[] = [
  { symbol: 'SYNA', seed: 11, price: 50 },
  { symbol: 'SYNB', seed: 12, price: 120 },
  { symbol: 'SYNC', seed: 13, price: 20 },
  { symbol: 'SYND', seed: 14, price: 300 },
];

/**
 * Loads SPX and a few synthetic daily series when they are absent, so a fresh `npm start` has
 * data to query; an instrument that already has daily bars is left alone.
 */
export async function loadDemoData(database: DatabaseConfig, log: (message: string) => void): Promise<void> {
  const pools = createPools(database, 'meridian-demo-data');
  const instruments = new InstrumentRepository(pools.write, pools.read);
  const bars = new BarRepository(pools.write);
  const load = async (instrument: NewInstrumentRow, source: () => Readable) => {
    const { instrument: row } = await instruments.upsert(instrument);
    if (await bars.any(row.id, '1d')) return;
    const counts = await ingestBars(pools.write, { instrumentId: row.id, interval: '1d', format: 'csv', source: source() });
    log(`loaded ${counts.inserted.toLocaleString('en-US')} daily bars of ${instrument.symbol}`);
  };
  try {
    await load({ symbol: 'SPX', name: 'S&P 500 Index', assetClass: 'index', currency: 'USD' }, () => createReadStream(sp500File()));
    for (const { symbol, seed, price } of SYNTHETIC) {
      await load({ symbol, name: `Synthetic ${symbol.slice(3)} (GBM, seed ${seed})`, assetClass: 'equity' }, () => syntheticCsv({ seed, interval: '1d', rows: 5_283, start: Date.UTC(2000, 0, 3), startPrice: price }));
    }
    // Loaded straight into the database, not through POST /v1/bars: no rollup job follows, so the
    // spans these uploads noted are rolled up here.
    await applyPendingRollups(pools.write, '1d');
  } finally {
    await pools.close();
  }
}
