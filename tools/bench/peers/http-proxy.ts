/** The peer: a bare Fastify with @fastify/http-proxy and its default options, in front of one upstream. */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [upstream, port] = process.argv.slice(2);
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: upstream as string });
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('listening\n');
