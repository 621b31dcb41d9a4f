/** A hello-world upstream: the cheapest possible service, so that only a proxy's own cost is measured. */
import Fastify from 'fastify';

const [port] = process.argv.slice(2);
const app = Fastify({ logger: false });
app.get('/v1/*', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('listening\n');
