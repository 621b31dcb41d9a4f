import { Problem } from '@meridian/contracts';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { topStatements } from '@meridian/db';
import { durationMs } from '../../alerts/rules.js';
import { tableSizes } from '../../collect/stores.js';
import type { Monitor } from '../../monitor.js';
import type { Overview } from '../../overview.js';

const Json = Type.Record(Type.String(), Type.Unknown());

/** Pushes the overview after every round as Server-Sent Events until the client leaves. */
export async function overviewStream(monitor: Monitor, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let sequence = 0;
  const send = (overview: Overview) => out.write(`id: ${++sequence}\nevent: overview\ndata: ${JSON.stringify(overview)}\n\n`);
  const current = monitor.overview();
  if (current) send(current);
  const unsubscribe = monitor.subscribe(send);
  await new Promise<void>((resolve) => request.raw.once('close', resolve));
  unsubscribe();
  out.end();
}

export const overviewRoutes: FastifyPluginAsyncTypebox<{ monitor: Monitor }> = async (app, { monitor }) => {
  const latest = async () => monitor.overview() ?? (await monitor.tick());

  app.get('/v1/monitor/overview', {
    schema: {
      tags: ['monitor'],
      summary: 'Every service with its RED figures per route, queues, cache, Redis, Postgres, firing alerts, predictions and a 0–100 health score with its reasons',
      response: { 200: Json },
    },
  }, async () => latest());

  app.get('/v1/monitor/metrics/:name', {
    schema: {
      tags: ['monitor'],
      summary: 'The history of one monitored figure: every label set of a name (request_rate), or one series (up{service="signals"})',
      description: 'Up to an hour at full resolution from memory; longer windows (up to 24 h) as minute averages from Postgres.',
      params: Type.Object({ name: Type.String({ maxLength: 300 }) }),
      querystring: Type.Object({ window: Type.Optional(Type.String({ pattern: '^\\d+(s|m|h)$', default: '1h' })) }),
      response: { 200: Type.Object({ name: Type.String(), window: Type.String(), series: Type.Array(Type.Object({ key: Type.String(), points: Type.Array(Type.Tuple([Type.Number(), Type.Number()])) })) }), 400: Problem, 404: Problem },
    },
  }, async (request) => {
    const window = request.query.window ?? '1h';
    const windowMs = durationMs(window);
    if (windowMs > 86_400_000) throw new HttpProblem(400, 'validation', 'The window is at most 24h: the monitor keeps a day of history.', { errors: [{ field: 'window', message: 'is over 24h' }] });
    const series = await monitor.series(request.params.name, windowMs);
    if (series.length === 0) throw new HttpProblem(404, 'not-found', `No monitored figure ${request.params.name}. GET /v1/monitor/overview shows what is collected.`);
    return { name: request.params.name, window, series: series.map((s) => ({ key: s.key, points: s.points.map((p) => [p.t, p.v] as [number, number]) })) };
  });

  app.get('/v1/monitor/alerts', {
    schema: {
      tags: ['monitor'],
      summary: 'Alerts firing now, and the history of alerts (newest first)',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      response: { 200: Type.Object({ firing: Type.Array(Json), history: Type.Array(Json) }) },
    },
  }, async (request) => {
    const history = await monitor.alerts.recent(request.query.limit ?? 100);
    const firing = monitor.engine.firing().map((a) => ({ ...a, startsAt: new Date(a.startsAt).toISOString() }));
    return { firing, history: history.map((h) => ({ ...h, startsAt: h.startsAt.toISOString(), endsAt: h.endsAt?.toISOString() ?? null })) };
  });

  app.get('/v1/monitor/database', {
    schema: {
      tags: ['monitor'],
      summary: 'Postgres: the costliest statements (pg_stat_statements, by total and by mean time) and the largest tables with their index sizes',
      description: 'Where pg_stat_statements is not enabled, `statements.available` is false and `reason` says how to enable it.',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 15 })) }),
      response: { 200: Type.Object({ statements: Json, tables: Type.Array(Json) }) },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 15;
    const [statements, tables] = await Promise.all([topStatements(app.db.write, limit), tableSizes(app.db, limit)]);
    return { statements: { ...statements }, tables: tables.map((t) => ({ ...t })) };
  });

  app.get('/v1/monitor/stream', {
    schema: {
      tags: ['monitor'],
      summary: 'The overview as Server-Sent Events, one `overview` event after every scrape',
      produces: ['text/event-stream'],
      response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/event-stream' }) },
    },
  }, (request, reply) => overviewStream(monitor, request, reply));
};
