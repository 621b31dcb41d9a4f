import { once } from 'node:events';
import { Interval, Problem } from '@meridian/contracts';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Interval as BarInterval } from '@meridian/db';
import { parseRuleSpec, type RuleSpec } from '@meridian/market';
import type { LiveEvent, LiveHub, Subscriber } from '../../live/hub.js';
import type { LiveSignals } from '../../live/signals.js';
import { compareIds, decodePositions, encodePositions, type Positions } from '../../live/positions.js';
import type { MarketData } from '../../market-data.js';

/** How long a client that was cut off has to read what was already sent before its socket is closed. */
const CUT_OFF_GRACE_MS = 10_000;

export interface LiveRouteOptions {
  hub: LiveHub;
  market: MarketData;
  signals: LiveSignals;
  rulesOf: (hashes: string[]) => Promise<Map<string, unknown>>;
  heartbeatMs: number;
  /** Bytes a client may leave unread before it is cut off. */
  bufferBytes: number;
}

/**
 * GET /v1/live: bars of the chosen symbols as they are stored, as Server-Sent Events. Each event's
 * id holds the client's position in every symbol, so reconnecting with Last-Event-ID replays
 * exactly what it missed while the events are kept.
 */
export const liveRoutes: FastifyPluginAsyncTypebox<LiveRouteOptions> = async (app, { hub, market, signals, rulesOf, heartbeatMs, bufferBytes }) => {
  /** The subscribed rules by hash, validated; 400 for a hash never registered. */
  async function rulesFor(list: string | undefined): Promise<Map<string, RuleSpec>> {
    const hashes = list ? [...new Set(list.split(','))] : [];
    const found = await rulesOf(hashes);
    const missing = hashes.filter((hash) => !found.has(hash));
    if (missing.length > 0) throw new HttpProblem(400, 'validation', `No rule ${missing.join(', ')}. A rule gets its hash when a batch runs it (POST /v1/signals/batch reports it).`, { errors: [{ field: 'rules', message: 'names an unknown rule' }] });
    return new Map(hashes.map((hash) => [hash, parseRuleSpec(found.get(hash))]));
  }

  app.get('/v1/live', {
    schema: {
      tags: ['live'],
      summary: 'New and corrected bars of some symbols as Server-Sent Events, resumable with Last-Event-ID',
      description:
        'Events: `bar` (a bar an upload inserted or changed, after the upload committed), `signal` (a subscribed rule\'s event on a new bar, as a batch would store it), `gap` (events older than the retention were asked for: read the range with GET /v1/bars), `heartbeat`, and `error` before the server closes the stream (a client that falls too far behind). Reconnect with the Last-Event-ID header to resume.',
      querystring: Type.Object({
        symbols: Type.String({ pattern: '^[A-Z0-9][A-Z0-9._^-]{0,31}(,[A-Z0-9][A-Z0-9._^-]{0,31}){0,99}$', description: 'comma-separated, at most 100' }),
        interval: Type.Optional(Interval),
        rules: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}(,[0-9a-f]{16}){0,15}$', description: 'rule hashes (from a batch) whose new signal events to send; needs interval' })),
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
    if (request.query.rules && !interval) throw new HttpProblem(400, 'validation', 'Live signals need the interval their rules run on: add interval=…', { errors: [{ field: 'interval', message: 'is required with rules' }] });
    const rules = await rulesFor(request.query.rules);

    const out = reply.raw;
    const positions: Positions = {};
    let closed = false;
    let live = false;
    const timers: { heartbeat?: NodeJS.Timeout; signals?: NodeJS.Timeout } = {};
    // New bars per symbol, gathered for a moment so an upload's bars are evaluated once.
    const newBars = new Map<string, Set<number>>();
    const flushSignals = async () => {
      timers.signals = undefined;
      const batch = [...newBars];
      newBars.clear();
      for (const [symbol, ts] of batch) {
        const found = await signals.on(symbol, interval as BarInterval, rules, ts).catch((error: Error) => {
          request.log.warn({ err: error.message, symbol }, 'live signals not evaluated');
          return [];
        });
        for (const signal of found) if (!closed) out.write(`event: signal\ndata: ${JSON.stringify(signal)}\n\n`);
      }
    };
    const pending: LiveEvent[] = [];
    const close = (reason?: string) => {
      if (closed) return;
      closed = true;
      hub.remove(subscriber);
      clearInterval(timers.heartbeat);
      clearTimeout(timers.signals);
      if (!reason) return void out.end();
      // The error event goes behind what the client has not read yet, and nothing more is added:
      // its memory stays at the cap. The connection closes once that is read, or after the grace.
      hub.cutOff += 1;
      const socket = request.raw.socket;
      out.end(`event: error\ndata: ${JSON.stringify({ reason })}\n\n`, () => socket.destroy());
      setTimeout(() => socket.destroy(), CUT_OFF_GRACE_MS).unref();
    };
    // Live events cannot wait for a slow client: past the cap it is cut off (it resumes with Last-Event-ID).
    const send = (event: LiveEvent, replaying = false) => {
      if (closed || compareIds(event.id, positions[event.symbol] ?? '0-0') <= 0) return;
      positions[event.symbol] = event.id;
      if (interval && event.bar.interval !== interval) return;
      out.write(`id: ${encodePositions(positions)}\nevent: bar\ndata: ${JSON.stringify({ symbol: event.symbol, ...event.bar })}\n\n`);
      if (rules.size > 0) {
        const set = newBars.get(event.symbol) ?? new Set<number>();
        newBars.set(event.symbol, set.add(Date.parse(event.bar.ts)));
        timers.signals ??= setTimeout(() => void flushSignals(), 25);
      }
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
    // The starting positions as an id of their own: a client that reconnects before its first
    // event resumes from here, not from whatever is newest by then.
    out.write(`retry: 2000\nid: ${encodePositions(positions)}\n\n`);
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
