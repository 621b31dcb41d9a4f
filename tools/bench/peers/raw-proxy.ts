/**
 * The floor of the gateway benchmark: the least a proxy can do on Node. A bare node:http server
 * that forwards each GET with its headers over an undici keep-alive pool and writes the answer
 * back in one write: no framework, no auth, no limits, no header policy.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [upstream, port] = process.argv.slice(2);
const pool = new Pool(upstream as string, { connections: 64, pipelining: 1 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

createServer((req, res) => {
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
  pool
    .request({ method: 'GET', path: req.url ?? '/', headers: headers as Record<string, string> })
    .then(async (answer) => {
      const body = Buffer.from(await answer.body.arrayBuffer());
      res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type']), 'content-length': body.length });
      res.end(body);
    })
    .catch(() => {
      res.writeHead(502).end();
    });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
