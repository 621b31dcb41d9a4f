import { PortfolioRequest, PortfolioResult, Problem } from '@meridian/contracts';
import { computeMetrics, covariance, equalRiskContribution, maximumSharpe, minimumVariance, rebalancedEquity, type BarSeries } from '@meridian/market';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BarSource } from '../../bars.js';
import { time } from '../../requests.js';

/** The closes of every symbol on the timestamps all of them have. */
export function alignCloses(series: readonly BarSeries[]): { ts: number[]; closes: Float64Array[] } {
  const counts = new Map<number, number>();
  for (const s of series) for (const t of s.ts) counts.set(t, (counts.get(t) ?? 0) + 1);
  const ts = [...counts].filter(([, n]) => n === series.length).map(([t]) => t).sort((a, b) => a - b);
  const closes = series.map((s) => {
    const at = new Map<number, number>();
    s.ts.forEach((t, i) => at.set(t, s.close[i] as number));
    return Float64Array.from(ts, (t) => at.get(t) as number);
  });
  return { ts, closes };
}

function returnsOf(closes: Float64Array): Float64Array {
  const out = new Float64Array(closes.length - 1);
  for (let i = 1; i < closes.length; i++) out[i - 1] = (closes[i] as number) / (closes[i - 1] as number) - 1;
  return out;
}

export const portfolioRoutes: FastifyPluginAsyncTypebox<{ bars: BarSource }> = async (app, { bars }) => {
  app.post('/v1/portfolios/optimize', {
    schema: {
      tags: ['portfolios'],
      summary: 'Long-only weights by minimum variance, maximum Sharpe or risk parity, and the backtest of holding them with periodic rebalancing',
      description: 'Expected returns and the covariance are the sample estimates of the bars in the range, annualised by barsPerYear; weights are computed once, over the whole range.',
      body: PortfolioRequest,
      response: { 200: PortfolioResult, 400: Problem },
    },
  }, async (request) => {
    const body = request.body;
    const interval = body.interval ?? '1d';
    const barsPerYear = body.barsPerYear ?? 252;
    const riskFree = body.riskFree ?? 0;
    const capital = body.capital ?? 100_000;
    const [from, to] = [time(body.from, 'from'), time(body.to, 'to')];
    for (const symbol of body.symbols) {
      if ((await bars.instrumentId(symbol)) === undefined) throw new HttpProblem(400, 'validation', `No instrument ${symbol}.`, { errors: [{ field: 'symbols', message: `${symbol} is not a known instrument` }] });
    }
    const series = await Promise.all(body.symbols.map((symbol) => bars.load({ symbol, interval, from, to })));
    const { ts, closes } = alignCloses(series);
    if (ts.length < 30) throw new HttpProblem(400, 'validation', `The symbols share ${ts.length} ${interval} bars in the range; at least 30 are needed to estimate a covariance.`);
    const returns = closes.map(returnsOf);
    const cov = covariance(returns).map((row) => row.map((v) => v * barsPerYear));
    const mean = returns.map((r) => (r.reduce((a, b) => a + b, 0) / r.length) * barsPerYear);
    const caps = body.caps === undefined ? undefined : typeof body.caps === 'number' ? body.caps : body.symbols.map((s) => (body.caps as Record<string, number>)[s] ?? 1);
    let weights: Float64Array;
    try {
      weights =
        body.method === 'min_variance' ? minimumVariance(cov, { caps }) : body.method === 'max_sharpe' ? maximumSharpe(mean, cov, riskFree, { caps }) : equalRiskContribution(cov);
    } catch (error) {
      if (error instanceof RangeError) throw new HttpProblem(400, 'validation', `${error.message}.`);
      throw error;
    }
    let expected = 0;
    let variance = 0;
    for (let i = 0; i < weights.length; i++) {
      expected += (weights[i] as number) * (mean[i] as number);
      for (let j = 0; j < weights.length; j++) variance += (weights[i] as number) * (weights[j] as number) * ((cov[i] as Float64Array)[j] as number);
    }
    const equity = rebalancedEquity(ts, closes, weights, body.rebalance ?? 'monthly', capital);
    const metrics = computeMetrics({ capital, equity: equity.subarray(1), trades: [], barsInMarket: equity.length - 1, barsPerYear, riskFree });
    return {
      method: body.method,
      weights: Object.fromEntries(body.symbols.map((s, i) => [s, weights[i] as number])),
      expectedReturn: expected,
      volatility: Math.sqrt(variance),
      bars: ts.length,
      metrics: { ...metrics },
      equity: { ts: ts.map((t) => new Date(t).toISOString()), equity: Array.from(equity) },
    };
  });
};
