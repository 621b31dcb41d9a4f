/**
 * The fuzzer of e2e/test/fuzz.test.ts for longer, against a stack of every service started from
 * the built bundles:
 *
 *   npm run build && npm run fuzz                     5,000 requests, a random seed
 *   npm run fuzz -- --runs 20000 --seed 42            replays a seed a report printed
 *
 * Prints progress, then the answers by status and every rule broken (exit 1 when any).
 */
import { parseArgs } from 'node:util';
import { type ApiDocument, fuzzApi } from './fuzz.js';
import { withStack } from './scenarios.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
process.stderr.write(`fuzzing the API with ${runs} requests, seed ${seed} (replay with --seed ${seed})...\n`);
const limits = { LOG_LEVEL: 'error' };
const report = await withStack(limits, { concurrency: 1, faultMs: 0 }, async (h) => {
  const doc = (await (await fetch(`${h.gateway}/openapi.json`)).json()) as ApiDocument;
  const started = Date.now();
  return fuzzApi({
    gateway: h.gateway,
    headers: h.auth,
    doc,
    runs,
    seed,
    exclude: (method, path) => path.startsWith('/v1/keys') && method !== 'get',
    onProgress: (done) => process.stderr.write(`  ${done}/${runs} sent (${(done / ((Date.now() - started) / 1000)).toFixed(0)}/s)\n`),
  });
}, undefined, ['gateway', 'signals', 'backtest', 'monitor']);
process.stdout.write(`sent ${report.sent}; answers by status: ${Object.entries(report.byStatus).map(([status, n]) => `${status}×${n}`).join(', ')}\n`);
process.stdout.write(report.violations.length === 0 ? 'no rule broken\n' : `${report.violations.length} broken:\n${report.violations.map((v) => `  ${v}`).join('\n')}\n`);
process.exit(report.violations.length === 0 ? 0 : 1);
