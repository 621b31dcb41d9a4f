/**
 * Gateway overhead, in one run on this machine. The same small JSON GET is hit directly, through
 * the Meridian gateway (API key auth, rate limit, signed forwarding) and through
 * @fastify/http-proxy with default options (the peer), in front of two upstreams:
 *  - `hello`: a hello-world Fastify (tools/bench/peers/hello.ts), where the proxy is the
 *    bottleneck and only its own cost shows (the setting of the 0.13× peer figure);
 *  - `service`: GET /v1/instruments/SPX on the real signals service, read from PostgreSQL.
 * A fourth contender is the floor: a bare node:http proxy (tools/bench/peers/raw-proxy.ts). Each
 * round runs the four contenders of one upstream in a rotating order, so the machine's drift
 * lands on all of them; each figure is the median of the rounds.
 *
 *   npm run bench:gateway            (needs `npm run build` first; uses its own database)
 *   BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 npm run bench:gateway
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestContext } from '@meridian/service/testing';
import { migrate } from '@meridian/db/migrate';
import { builtProcesses, startProcesses, waitLive } from '../stack/processes.js';
import { autocannon, log, ratio, ROOT, runJson, type LoadResult } from './lib/load.js';
import { median } from './lib/interleave.js';
import { BENCH_SECRET, benchEnv, createApiKey, exitCheck } from './lib/stack.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PATH = '/v1/instruments/SPX';
// benchEnv gives the backtest and monitor services the two ports after signals.
const ports = { gateway: 3900, signals: 3901, servicePeer: 3906, helloGateway: 3907, hello: 3908, helloPeer: 3909, serviceFloor: 3910, helloFloor: 3911 };
const base = (port: number) => `http://127.0.0.1:${port}`;

const tools: ChildProcess[] = [];
function startTool(script: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(import.meta.dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  tools.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
    createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> }).once('line', () => resolve(child));
  });
}

const ctx = await createTestContext();
const env = benchEnv(ctx, ports);
await migrate({ databaseUrl: ctx.database.url });
const stack = startProcesses(builtProcesses(ROOT, ['gateway', 'signals']), env);
// A second gateway whose signals upstream is the hello-world server.
const helloStack = startProcesses(builtProcesses(ROOT, ['gateway']).map((spec) => ({ ...spec, name: 'gateway:hello' })), {
  ...env,
  GATEWAY_PORT: String(ports.helloGateway),
  SIGNALS_URL: base(ports.hello),
});
const checks = [exitCheck(stack), exitCheck(helloStack)];

try {
  await Promise.all([
    startTool('peers/hello.ts', [String(ports.hello)]),
    startTool('peers/http-proxy.ts', [base(ports.signals), String(ports.servicePeer)]),
    startTool('peers/http-proxy.ts', [base(ports.hello), String(ports.helloPeer)]),
    startTool('peers/raw-proxy.ts', [base(ports.signals), String(ports.serviceFloor)]),
    startTool('peers/raw-proxy.ts', [base(ports.hello), String(ports.helloFloor)]),
  ]);
  if ((await waitLive([base(ports.gateway), base(ports.signals), base(ports.helloGateway)], 20_000)).length > 0) {
    throw new Error('services did not start; run `npm run build` first');
  }
  const key = await createApiKey(env);
  const auth = { authorization: `Bearer ${key}` };
  const created = await fetch(`${base(ports.gateway)}/v1/instruments`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ symbol: 'SPX', name: 'S&P 500', assetClass: 'index' }),
  });
  if (created.status >= 300) throw new Error(`could not create SPX: ${created.status}`);

  const upstreams = {
    hello: { direct: ports.hello, gateway: ports.helloGateway, httpProxy: ports.helloPeer, floor: ports.helloFloor },
    service: { direct: ports.signals, gateway: ports.gateway, httpProxy: ports.servicePeer, floor: ports.serviceFloor },
  };
  type Contender = 'direct' | 'gateway' | 'httpProxy' | 'floor';
  const contenders: Contender[] = ['direct', 'gateway', 'httpProxy', 'floor'];
  // Every proxy but the gateway calls the service as the gateway would, each request signed afresh.
  const loadOptions = (contender: Contender) => (contender === 'gateway' ? { headers: auth } : { signWith: BENCH_SECRET });
  const all: LoadResult[] = [];
  const report: Record<string, unknown> = { route: `GET ${PATH}`, seconds, rounds, connections };

  for (const [name, target] of Object.entries(upstreams)) {
    log(`${name}: warm-up, then ${rounds} rounds of ${seconds} s at ${connections} connections: direct, gateway, @fastify/http-proxy, bare proxy`);
    for (const contender of contenders) await autocannon(`${base(target[contender])}${PATH}`, { seconds: 2, connections, ...loadOptions(contender) });
    const rps: Record<Contender, number[]> = { direct: [], gateway: [], httpProxy: [], floor: [] };
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const contender = contenders[(round + k) % contenders.length] as Contender;
        const result = await autocannon(`${base(target[contender])}${PATH}`, { seconds, connections, ...loadOptions(contender) });
        all.push(result);
        rps[contender].push(result.rps);
        log(`  round ${round + 1}, ${contender}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms`);
      }
    }
    const direct = median(rps.direct);
    const gateway = median(rps.gateway);
    const httpProxy = median(rps.httpProxy);
    const floor = median(rps.floor);

    // Added latency at half of the gateway's saturation: every contender at the same rate, in a
    // rotating order, so the peer's and the bare floor's added p99 say what any proxy adds here.
    const half = Math.round(gateway / 2);
    log(`${name}: p99 at 50% of the gateway's saturation (${half} req/s), the four contenders rotated`);
    const p99: Record<Contender, number[]> = { direct: [], gateway: [], httpProxy: [], floor: [] };
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const contender = contenders[(round + k) % contenders.length] as Contender;
        const result = await autocannon(`${base(target[contender])}${PATH}`, { seconds, connections: 10, rate: half, ...loadOptions(contender) });
        all.push(result);
        p99[contender].push(result.p99);
      }
    }
    for (const check of checks) check();
    report[name] = {
      rps: { direct: Math.round(direct), gateway: Math.round(gateway), httpProxy: Math.round(httpProxy), floor: Math.round(floor) },
      gatewayToDirect: ratio(gateway, direct),
      httpProxyToDirect: ratio(httpProxy, direct),
      floorToDirect: ratio(floor, direct),
      gatewayOverHttpProxy: ratio(gateway, httpProxy),
      // The most any proxy on Node reached over the peer in this run.
      floorOverHttpProxy: ratio(floor, httpProxy),
      atHalfSaturation: {
        rate: half,
        directP99: median(p99.direct),
        gatewayP99: median(p99.gateway),
        addedP99: median(p99.gateway) - median(p99.direct),
        httpProxyAddedP99: median(p99.httpProxy) - median(p99.direct),
        floorAddedP99: median(p99.floor) - median(p99.direct),
      },
    };
  }

  log('10,000 requests with random invalid keys, then 10,000 with a valid one');
  const keys = JSON.parse(await runJson(join(ROOT, 'node_modules/.bin/tsx'), [join(import.meta.dirname, 'peers/invalid-keys.ts'), `${base(ports.gateway)}${PATH}`, key])) as {
    invalid: { requests: number; p99: number; statusCodes: Record<string, number>; errors: number };
    valid: { requests: number; p99: number; statusCodes: Record<string, number>; errors: number };
  };
  report.invalidKeys = { ...keys.invalid, validP99: keys.valid.p99, p99RatioToValid: ratio(keys.invalid.p99, keys.valid.p99) };
  report.failures = all.filter((r) => r.non2xx > 0 || r.errors > 0).length;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  for (const tool of tools) tool.kill('SIGTERM');
  await Promise.all([stack.stop(), helloStack.stop()]);
  await ctx.cleanup();
}
