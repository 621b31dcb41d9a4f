/**
 * autocannon with the gateway's signature made afresh for every request, for benchmarks that
 * call a service directly: a signature is honoured once. Run in its own process by
 * `autocannon(url, { signAs })` (load.ts); prints autocannon's JSON result as its CLI's `-j` does.
 *
 *   tsx tools/bench/lib/signed-load.ts <url> <connections> <seconds> [<requests/s, 0 for as fast as it goes>]
 *   (BENCH_SIGN_SECRET in the environment)
 */
import { signInternal } from '@meridian/service';
import autocannon from 'autocannon';

const [url = '', connections = '50', seconds = '10', rate = '0'] = process.argv.slice(2);
const secret = process.env.BENCH_SIGN_SECRET ?? '';
const { pathname, search } = new URL(url);
const path = `${pathname}${search}`;

const result = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  ...(Number(rate) > 0 ? { overallRate: Number(rate) } : {}),
  requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-meridian-internal': signInternal(secret, 'GET', path, { tenant: 'bench', keyId: 'bench' }) } }) }],
});
process.stdout.write(`${JSON.stringify(result)}\n`);
