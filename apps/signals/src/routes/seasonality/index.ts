import { Problem, SeasonalityQuery, SeasonalityTable } from '@meridian/contracts';
import type { Interval } from '@meridian/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { seasonalityBody } from '../../compute.js';
import { cachedBody, sendCached } from '../../http-cache.js';
import { barTags, type MarketData } from '../../market-data.js';
import { instant } from '../../window.js';
import { namespace } from '../../cache-namespaces.js';

export const seasonalityRoutes: FastifyPluginAsyncTypebox<{ market: MarketData }> = async (app, { market }) => {
  const cache = namespace(app.cache, 'seasonality');

  app.get('/v1/seasonality', {
    schema: {
      tags: ['signals'],
      summary: 'Return statistics per calendar month, weekday or day of year',
      description: 'month: one return per calendar month (last close to last close); weekday and doy: close-to-close returns per bar. Per bucket: count, mean, median, hit ratio, σ and t-statistic.',
      querystring: SeasonalityQuery,
      response: { 200: SeasonalityTable, 304: Type.Null(), 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const { symbol, by } = request.query;
    const interval = (request.query.interval ?? '1d') as Interval;
    const window = { from: instant('from', request.query.from), to: instant('to', request.query.to) };
    const key = `${symbol}:${interval}:${by}:${window.from ?? ''}:${window.to ?? ''}`;
    const body = await cache.getOrSet(key, async () => cachedBody(seasonalityBody(symbol, interval, by, await market.series(symbol, interval), window)), {
      tags: barTags(symbol, interval),
    });
    return sendCached(request, reply, body);
  });
};
