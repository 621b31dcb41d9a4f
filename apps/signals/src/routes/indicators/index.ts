import { IndicatorCatalogue, IndicatorQuery, IndicatorSeries, Problem } from '@meridian/contracts';
import type { Interval } from '@meridian/db';
import { IndicatorParamsError, indicators, resolveIndicator } from '@meridian/market';
import { canonicalJson } from '@meridian/queue';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { indicatorBody } from '../../compute.js';
import { cachedBody, sendCached, sendJson } from '../../http-cache.js';
import { barTags, type MarketData } from '../../market-data.js';
import { instant } from '../../window.js';
import { namespace } from '../../cache-namespaces.js';

export const indicatorRoutes: FastifyPluginAsyncTypebox<{ market: MarketData }> = async (app, { market }) => {
  const cache = namespace(app.cache, 'indicators');
  const catalogue = JSON.stringify({
    items: [...indicators.values()].map((spec) => ({ name: spec.name, description: spec.description, params: spec.params, outputs: spec.outputs })),
  });

  app.get('/v1/indicators', {
    schema: {
      tags: ['indicators'],
      summary: 'Every indicator with its parameters (ranges, defaults) and outputs',
      response: { 200: IndicatorCatalogue },
    },
  }, async (_request, reply) => sendJson(reply, catalogue));

  app.get('/v1/indicators/:name', {
    schema: {
      tags: ['indicators'],
      summary: 'An indicator over stored bars, aligned to bar times',
      description: `Indicators: ${[...indicators.keys()].join(', ')}. Parameters are query parameters (\`period=20\`); omitted ones take their defaults. The indicator runs over the symbol's whole stored history, so a value at a bar is the same whatever \`from\`/\`to\` you ask for; values are null for the first \`warmupBars\` bars of the history. Sends an ETag; If-None-Match gets 304 while the bars are unchanged.`,
      params: Type.Object({ name: Type.String() }),
      querystring: IndicatorQuery,
      response: { 200: IndicatorSeries, 304: Type.Null(), 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const { symbol, interval: rawInterval, from: rawFrom, to: rawTo, ...raw } = request.query as Record<string, string | undefined> & { symbol: string };
    const interval = (rawInterval ?? '1d') as Interval;
    const name = request.params.name;
    let resolved: ReturnType<typeof resolveIndicator>;
    try {
      resolved = resolveIndicator(name, raw);
    } catch (error) {
      if (!(error instanceof IndicatorParamsError)) throw error;
      throw new HttpProblem(400, 'validation', error.message, { errors: error.problems.map((message) => ({ field: `query.${name}`, message })) });
    }
    const window = { from: instant('from', rawFrom), to: instant('to', rawTo) };
    const key = `${symbol}:${interval}:${name}:${canonicalJson(resolved.params)}:${window.from ?? ''}:${window.to ?? ''}`;
    const body = await cache.getOrSet(key, async () => cachedBody(indicatorBody(symbol, interval, resolved.spec, resolved.params, await market.series(symbol, interval), window)), {
      tags: barTags(symbol, interval),
    });
    return sendCached(request, reply, body);
  });
};
