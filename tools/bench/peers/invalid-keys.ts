/**
 * 10,000 requests, each with a different random key, then the same count with one valid key:
 * prints both autocannon results as JSON. Run in its own process by the gateway benchmark.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

const [url, validKey] = process.argv.slice(2) as [string, string];
const amount = 10_000;

function run(headers: () => Record<string, string>) {
  return autocannon({
    url,
    connections: 20,
    amount,
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...headers() } }) }],
  });
}

const invalid = await run(() => ({ authorization: `Bearer mk_${randomBytes(4).toString('hex')}_${randomBytes(23).toString('hex')}` }));
const valid = await run(() => ({ authorization: `Bearer ${validKey}` }));
const summary = (r: autocannon.Result) => ({
  requests: r.requests.total,
  p99: r.latency.p99,
  statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, stat]) => [code, (stat as { count: number }).count])),
  errors: r.errors,
});
process.stdout.write(`${JSON.stringify({ invalid: summary(invalid), valid: summary(valid) })}\n`);
