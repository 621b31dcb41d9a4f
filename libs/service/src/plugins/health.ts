import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pingRedis } from '../redis.js';
import { hasScrapeToken } from './scrape-token.js';
import type {} from './config.js';
import type {} from './pools.js';
import type {} from './redis.js';

export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 1_000;

const CheckResult = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
});

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  service: Type.String(),
  /** Each dependency's status, latency and error: only with the METRICS_TOKEN bearer. */
  checks: Type.Optional(Type.Record(Type.String(), CheckResult)),
});

async function runCheck(check: ReadinessCheck): Promise<{ status: 'up' | 'down'; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { status: 'down', latencyMs: Math.round((performance.now() - started) * 100) / 100, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /health/live` says the process answers; `GET /health/ready` says Postgres, Redis and the
 * app's `extra` dependencies answer too, 503 when one is down. Both are open to probes; each
 * dependency's details (latency, error text) only to a caller with the scrapers' token.
 */
export const health: FastifyPluginAsyncTypebox<{ extra?: Record<string, ReadinessCheck> }> = async (app, { extra }) => {
  const checks: Record<string, ReadinessCheck> = { postgres: () => app.db.write.query('SELECT 1'), redis: () => pingRedis(app.redis), ...extra };
  app.get('/health/live', {
    config: { public: true },
    schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/health/ready', {
    config: { public: true },
    schema: { tags: ['health'], summary: 'Readiness of this service and each dependency', response: { 200: Readiness, 503: Readiness } },
  }, async (request, reply) => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => runCheck(checks[name] as ReadinessCheck)));
    const report = Object.fromEntries(names.map((name, i) => [name, results[i] as (typeof results)[number]]));
    const ready = results.every((result) => result.status === 'up');
    const status = ready ? 'ready' : 'unavailable';
    const details = hasScrapeToken(request, app.config.metricsToken) ? { checks: report } : {};
    return reply.code(ready ? 200 : 503).send({ status, service: app.config.service, ...details });
  });
};
