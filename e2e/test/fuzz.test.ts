import { type ApiDocument, fuzzApi } from '@meridian/tools/chaos/fuzz';
import { describe, expect, it } from 'vitest';
import { stackForFile } from './stack.js';

// High limits: the fuzzer is one client sending a few hundred requests in seconds.
const file = stackForFile('fuzzer', 'read,write,admin', undefined, { RATE_LIMIT_READS_PER_MINUTE: '1000000', RATE_LIMIT_WRITES_PER_MINUTE: '1000000' });

describe('the public API under generated requests (fast-check, fixed seed)', () => {
  it('never answers 5xx, answers every error as problem+json with its request id, keeps to its schemas and stores nothing it refused', async () => {
    const gateway = file.url('gateway');
    const doc = (await (await fetch(`${gateway}/openapi.json`)).json()) as ApiDocument;
    // Revoking keys would lock the fuzzer out of the rest of the run.
    const report = await fuzzApi({ gateway, headers: file.auth, doc, runs: Number(process.env.FUZZ_RUNS ?? 400), seed: Number(process.env.FUZZ_SEED ?? 20261207), exclude: (method, path) => path.startsWith('/v1/keys') && method !== 'get' });
    expect(report.violations).toEqual([]);
    expect(report.sent).toBe(Number(process.env.FUZZ_RUNS ?? 400));
    // Both kinds of answer happened: the generator reaches the handlers, not only the validators.
    const statuses = Object.keys(report.byStatus).map(Number);
    expect(statuses.some((status) => status < 300)).toBe(true);
    expect(statuses.some((status) => status >= 400)).toBe(true);
    // Every process is still up, and no refused instrument was stored.
    for (const service of ['gateway', 'signals', 'backtest', 'monitor']) expect((await fetch(`${file.url(service)}/health/live`)).status).toBe(200);
    for (const symbol of report.refusedSymbols.slice(0, 50)) {
      const found = await fetch(`${gateway}/v1/instruments/${encodeURIComponent(symbol)}`, { headers: file.auth });
      expect(found.status, symbol).not.toBe(200);
    }
  });
});
