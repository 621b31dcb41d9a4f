import { once } from 'node:events';
import { Interval, Problem } from '@meridian/contracts';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { LiveEvent, LiveHub, Subscriber } from '../../live/hub.js';
import { compareIds, decodePositions, encodePositions, type Positions } from '../../live/positions.js';
import type { MarketData } from '../../market-data.js';

export interface LiveRouteOptions {
  hub: LiveHub;
  market: MarketData;
  heartbeatMs: number;
  /** Bytes a client may leave unread before it is cut off. */
  bufferBytes: number;
}

/**
 * GET /v1/live: bars of the chosen symbols as they are stored, as Server-Sent Events. Each event's
 * id holds the client's position in every symbol, so reconnecting with Last-Event-ID replays
 * exactly what it missed while the events are kept.
 */
export const liveRoutes: FastifyPluginAsyncTypebox<LiveRouteOptions> = async (app, { hub, market, heartbeatMs, bufferBytes }) => {
  app.get('/v1/live', {
    schema: {
      tags: ['live'],
      summary: 'New and corrected bars of some symbols as Server-Sent Events, resumable with Last-Event-ID',
      description:
        'Events: `bar` (a bar an upload inserted or changed, after the upload committed), `gap` (events older than the retention were asked for: read the range with GET /v1/bars), `heartbeat`, and `error` before the server closes the stream (a client that falls too far behind). Reconnect with the Last-Event-ID header to resume.',
      querystring: Type.Object({
        symbols: Type.String({ pattern: '^[A-Z0-9][A-Z0-9._^-]{0,31}(,[A-Z0-9][A-Z0-9._^-]{0,31}){0,99}$', description: 'comma-separated, at most 100' }),
        interval: Type.Optional(Interval),
      }),
      produces: ['text/event-stream'],
      response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/event-stream' }), 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const symbols = [...new Set(request.query.symbols.split(','))];
    const interval = request.query.interval;
    for (const symbol of symbols) await market.instrumentId(symbol);
    const header = request.headers['last-event-id'];
    const resumed = decodePositions(Array.isArray(header) ? header[0] : header);
    if (header !== undefined && !resumed) throw new HttpProblem(400, 'validation', 'Last-Event-ID is not an id this stream sent: reconnect without it to start from now.');

    const out = reply.raw;
    const positions: Positions = {};
    let closed = false;
    let live = false;
    const timers: { heartbeat?: NodeJS.Timeout } = {};
    const pending: LiveEvent[] = [];
    const close = (reason?: string) => {
      if (closed) return;
      closed = true;
      if (reason) out.write(`event: error\ndata: ${JSON.stringify({ reason })}\n\n`);
      hub.remove(subscriber);
      clearInterval(timers.heartbeat);
      out.end();
      if (reason) out.destroy();
    };
    // Live events cannot wait for a slow client: past the cap it is cut off (it resumes with Last-Event-ID).
    const send = (event: LiveEvent, replaying = false) => {
      if (closed || compareIds(event.id, positions[event.symbol] ?? '0-0') <= 0) return;
      positions[event.symbol] = event.id;
      if (interval && event.bar.interval !== interval) return;
      out.write(`id: ${encodePositions(positions)}\nevent: bar\ndata: ${JSON.stringify({ symbol: event.symbol, ...event.bar })}\n\n`);
      if (!replaying && out.writableLength > bufferBytes) close(`this client fell ${out.writableLength} bytes behind; reconnect with Last-Event-ID to resume`);
    };
    const subscriber: Subscriber = { symbols: new Set(symbols), deliver: (event) => (live ? send(event) : pending.push(event)) };

    // Subscribed before the response starts, holding live events until the replay is done: a
    // client that has the response head misses nothing from then on, and nothing comes twice.
    try {
      await hub.add(subscriber);
      for (const symbol of symbols) positions[symbol] = resumed?.[symbol] ?? (await hub.tail(symbol));
    } catch (error) {
      hub.remove(subscriber);
      request.log.warn({ err: (error as Error).message }, 'live stream could not start');
      throw new HttpProblem(503, 'live-unavailable', 'Live events are unavailable (Redis does not answer); retry shortly.');
    }
    reply.hijack();
    out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no', 'x-request-id': request.id });
    out.write('retry: 2000\n\n');
    timers.heartbeat = setInterval(() => out.write(`event: heartbeat\ndata: {"at":"${new Date().toISOString()}"}\n\n`), heartbeatMs);
    request.raw.on('close', () => close());
    try {
      for (const symbol of symbols) {
        const from = resumed?.[symbol];
        if (from === undefined) continue;
        const { events, gap } = await hub.since(symbol, from);
        if (gap) out.write(`event: gap\ndata: ${JSON.stringify({ symbol, detail: 'events before the oldest kept one were trimmed; read that range with GET /v1/bars' })}\n\n`);
        // A replay goes at the client's pace.
        for (const event of events) {
          send(event, true);
          if (out.writableNeedDrain && !closed) await once(out, 'drain');
        }
      }
      live = true;
      for (const event of pending.splice(0)) send(event);
    } catch (error) {
      request.log.warn({ err: (error as Error).message }, 'live replay failed');
      close('the replay failed; reconnect with Last-Event-ID shortly');
    }
  });
};
