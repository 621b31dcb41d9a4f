import fp from 'fastify-plugin';
import type {} from './config.js';

/**
 * `Server-Timing: <service>;dur=<ms>` on every response, put in front of what an upstream sent
 * (the gateway forwards the service's part). While the app closes, responses end their keep-alive
 * connection, or closing would wait on it.
 */
export const serverTiming = fp(
  async (app) => {
    const { service } = app.config;
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      const own = `${service};dur=${reply.elapsedTime.toFixed(2)}`;
      const upstream = reply.getHeader('server-timing');
      reply.header('server-timing', upstream ? `${own}, ${String(upstream)}` : own);
      done(null, payload);
    });
  },
  { name: 'meridian-server-timing', dependencies: ['meridian-config'] },
);
