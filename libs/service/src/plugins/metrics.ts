import { Metrics } from '@meridian/telemetry';
import fp from 'fastify-plugin';
import { hasScrapeToken, scrapeRefused } from './scrape-token.js';
import type {} from './pools.js';
import type {} from './cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus registry behind GET /metrics. */
    metrics: Metrics;
  }
}

/**
 * `app.metrics` and `GET /metrics` (with the METRICS_TOKEN bearer): the Prometheus registry of
 * the process, watching its pools, queries and cache when scraped, and timing every request by
 * route template.
 */
export const metrics = fp(
  async (app, { service }: { service: string }) => {
    const { db } = app;
    const registry = new Metrics(service);
    registry.watchPools(db.read === db.write ? { write: db.write } : { write: db.write, read: db.read });
    registry.watchQueries(() => db.queries.stats());
    registry.watchCache(() => app.cache.stats());
    app.decorate('metrics', registry);
    app.addHook('onResponse', (request, reply, done) => {
      registry.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
    // Not behind the gateway's signature: scrapers call each process directly, with its token.
    app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
      if (!hasScrapeToken(request, app.config.metricsToken)) throw scrapeRefused(reply);
      return reply.type(registry.contentType).send(await registry.text());
    });
  },
  { name: 'meridian-metrics', dependencies: ['meridian-pools', 'meridian-cache'] },
);
