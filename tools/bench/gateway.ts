/**
 * Gateway overhead, in one run on this machine: the same small JSON GET (GET /v1/instruments/SPX
 * on the signals service) hit directly, through the Meridian gateway (API key auth, Redis rate
 * limit, signed forwarding), and through @fastify/http-proxy with default options (the peer).
 *
 *   npm run bench:gateway            (needs `npm run build` first; uses its own database)
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=50 npm run bench:gateway
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { signInternal } from '@meridian/service';
import { createTestContext } from '@meridian/service/testing';
import { migrate } from '@meridian/db/migrate';
import { builtProcesses, startProcesses, waitLive } from '../stack/processes.js';
import { autocannon, log, ratio, ROOT, runJson } from './lib/load.js';
import { BENCH_SECRET, benchEnv, createApiKey } from './lib/stack.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ports = { gateway: 3900, signals: 3901, peer: 3902 };
const PATH = '/v1/instruments/SPX';

const ctx = await createTestContext();
const env = benchEnv(ctx, ports);
await migrate({ databaseUrl: ctx.database.url });
const stack = startProcesses(builtProcesses(ROOT, ['gateway', 'signals']), env);
const peer = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(import.meta.dirname, 'peers/http-proxy.ts'), `http://127.0.0.1:${ports.signals}`, String(ports.peer)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((r) => createInterface({ input: peer.stdout }).once('line', r));

try {
  const base = (port: number) => `http://127.0.0.1:${port}`;
  if ((await waitLive([base(ports.gateway), base(ports.signals)], 20_000)).length > 0) throw new Error('services did not start; run `npm run build` first');

  const key = await createApiKey(env);
  // The signed header is valid for 30 s: made afresh before each direct run.
  const signed = () => ({ 'x-meridian-internal': signInternal(BENCH_SECRET, 'GET', PATH, { tenant: 'bench', keyId: 'bench' }) });
  const created = await fetch(`${base(ports.gateway)}/v1/instruments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ symbol: 'SPX', name: 'S&P 500', assetClass: 'index' }),
  });
  if (created.status >= 300) throw new Error(`could not create SPX: ${created.status}`);

  log(`warm-up, then ${seconds} s at ${connections} connections each: direct, gateway, @fastify/http-proxy`);
  await autocannon(`${base(ports.gateway)}${PATH}`, { seconds: 2, connections, headers: { authorization: `Bearer ${key}` } });
  await autocannon(`${base(ports.signals)}${PATH}`, { seconds: 2, connections, headers: signed() });
  const direct = await autocannon(`${base(ports.signals)}${PATH}`, { seconds, connections, headers: signed() });
  log(`direct: ${direct.rps.toFixed(0)} req/s, p99 ${direct.p99} ms`);
  const gateway = await autocannon(`${base(ports.gateway)}${PATH}`, { seconds, connections, headers: { authorization: `Bearer ${key}` } });
  log(`gateway: ${gateway.rps.toFixed(0)} req/s, p99 ${gateway.p99} ms`);
  const httpProxy = await autocannon(`${base(ports.peer)}${PATH}`, { seconds, connections, headers: signed() });
  log(`@fastify/http-proxy: ${httpProxy.rps.toFixed(0)} req/s, p99 ${httpProxy.p99} ms`);

  const half = Math.round(gateway.rps / 2);
  log(`latency at 50% of the gateway's saturation (${half} req/s), direct then gateway`);
  const directHalf = await autocannon(`${base(ports.signals)}${PATH}`, { seconds, connections: 10, rate: half, headers: signed() });
  const gatewayHalf = await autocannon(`${base(ports.gateway)}${PATH}`, { seconds, connections: 10, rate: half, headers: { authorization: `Bearer ${key}` } });

  log('10,000 requests with random invalid keys, then 10,000 with a valid one');
  const keys = JSON.parse(await runJson(join(ROOT, 'node_modules/.bin/tsx'), [join(import.meta.dirname, 'peers/invalid-keys.ts'), `${base(ports.gateway)}${PATH}`, key])) as {
    invalid: { requests: number; p99: number; statusCodes: Record<string, number>; errors: number };
    valid: { requests: number; p99: number; statusCodes: Record<string, number>; errors: number };
  };

  const bad = [gateway, httpProxy, direct].filter((r) => r.non2xx > 0 || r.errors > 0);
  const report = {
    route: `GET ${PATH}`,
    seconds,
    connections,
    direct: { rps: Math.round(direct.rps), p99: direct.p99 },
    gateway: { rps: Math.round(gateway.rps), p99: gateway.p99, ratioToDirect: ratio(gateway.rps, direct.rps) },
    httpProxy: { rps: Math.round(httpProxy.rps), p99: httpProxy.p99, ratioToDirect: ratio(httpProxy.rps, direct.rps) },
    gatewayOverHttpProxy: ratio(gateway.rps, httpProxy.rps),
    atHalfSaturation: { rate: half, directP99: directHalf.p99, gatewayP99: gatewayHalf.p99, addedP99: Math.round((gatewayHalf.p99 - directHalf.p99) * 100) / 100 },
    invalidKeys: { ...keys.invalid, validP99: keys.valid.p99, p99RatioToValid: ratio(keys.invalid.p99, keys.valid.p99) },
    failures: bad.length,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  peer.kill('SIGTERM');
  await stack.stop();
  await ctx.cleanup();
}
