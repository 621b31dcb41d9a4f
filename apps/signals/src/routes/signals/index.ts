import { BatchRequest, EvaluateBody, JobAccepted, LatestQuery, LatestSignals, Problem, SignalsQuery, SignalsResult, SYMBOL_PATTERN } from '@meridian/contracts';
import type { Interval } from '@meridian/db';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BatchJobs } from '../../batch/jobs.js';
import { sendCached, sendJson } from '../../http-cache.js';
import type { MarketData } from '../../market-data.js';
import { parseRule, ruleFromQuery, ruleHash } from '../../rules.js';
import type { SignalResults } from '../../signals.js';
import { instant } from '../../window.js';

export interface SignalRoutesOptions {
  market: MarketData;
  results: SignalResults;
  batches: BatchJobs;
}

const SYMBOL = new RegExp(SYMBOL_PATTERN);
const MAX_LATEST = 500;

export const signalRoutes: FastifyPluginAsyncTypebox<SignalRoutesOptions> = async (app, { market, results, batches }) => {
  app.get('/v1/signals', {
    schema: {
      tags: ['signals'],
      summary: 'Signal events and the current position target of a rule',
      description: 'The rule type is `rule` and its parameters are further query parameters, e.g. `rule=ma-cross&fast=20&slow=50`. The rule runs over the whole stored history; events inside the window are returned, and the target at the window\'s last bar. Sends an ETag; If-None-Match gets 304 while the bars are unchanged.',
      querystring: SignalsQuery,
      response: { 200: SignalsResult, 304: Type.Null(), 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const { symbol, rule, interval: rawInterval, from, to, ...params } = request.query as Record<string, string | undefined> & { symbol: string; rule: string };
    const spec = ruleFromQuery(rule, params);
    const interval = (rawInterval ?? '1d') as Interval;
    const body = await results.compute(symbol, interval, spec, ruleHash(spec), { from: instant('from', from), to: instant('to', to) });
    return sendCached(request, reply, body);
  });

  app.post('/v1/signals/evaluate', {
    schema: {
      tags: ['signals'],
      summary: 'Evaluate a full rule spec, combinators included',
      description: 'The same answer as GET /v1/signals, for a rule given as JSON: `{"type":"all","rules":[...]}` combines rules.',
      body: EvaluateBody,
      response: { 200: SignalsResult, 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const spec = parseRule(request.body.rule, 'body.rule');
    const interval = (request.body.interval ?? '1d') as Interval;
    const window = { from: instant('from', request.body.from), to: instant('to', request.body.to) };
    const { body } = await results.compute(request.body.symbol, interval, spec, ruleHash(spec), window);
    return sendJson(reply, body);
  });

  app.get('/v1/signals/latest', {
    schema: {
      tags: ['signals'],
      summary: 'The latest stored signal per symbol for one rule',
      description: 'Reads the events stored by your own batch jobs (POST /v1/signals/batch); another tenant\'s batches are never seen. Name the rule as in GET /v1/signals (`rule=ma-cross&fast=20`) or by the `ruleHash` a batch reported. `signal` is null for a symbol with no stored event.',
      querystring: LatestQuery,
      response: { 200: LatestSignals, 400: Problem, 404: Problem },
    },
  }, async (request) => {
    const { symbols: list, rule, interval: rawInterval, ...params } = request.query as Record<string, string | undefined> & { symbols: string; rule?: string };
    const symbols = [...new Set(list.split(',').map((s) => s.trim()).filter(Boolean))];
    const bad = symbols.filter((s) => !SYMBOL.test(s));
    if (symbols.length === 0 || symbols.length > MAX_LATEST || bad.length > 0) {
      throw new HttpProblem(400, 'validation', `symbols must list 1 to ${MAX_LATEST} upper-case tickers${bad.length ? `; not tickers: ${bad.join(', ')}` : ''}.`);
    }
    const { ruleHash: givenHash, ...ruleParams } = params;
    let hash: string;
    if (givenHash !== undefined) hash = givenHash;
    else if (rule !== undefined) hash = ruleHash(ruleFromQuery(rule, ruleParams));
    else throw new HttpProblem(400, 'validation', 'Name the rule with rule=<type> and its parameters, or with ruleHash=<hash>.');
    const interval = (rawInterval ?? '1d') as Interval;
    return { ruleHash: hash, interval, items: await results.latest(request.caller.tenant, symbols, interval, hash) };
  });

  app.post('/v1/signals/batch', {
    schema: {
      tags: ['signals', 'jobs'],
      summary: 'Evaluate many rules over many symbols as a queued job',
      description: 'Answers 202 with the job id; the same request sent again by the same tenant answers 200 with the same id instead of running twice. Events are stored (see /v1/signals/latest) and each result is cached for GET /v1/signals. Follow the job at /v1/jobs/{id} or its SSE stream /v1/jobs/{id}/events.',
      body: BatchRequest,
      response: { 200: JobAccepted, 202: JobAccepted, 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const rules = request.body.rules.map((raw, i) => {
      const spec = parseRule(raw, `body.rules.${i}`);
      return { hash: ruleHash(spec), spec };
    });
    const symbols = request.body.symbols;
    const unknown = (await Promise.all(symbols.map((symbol) => market.instrumentId(symbol).then(() => null, () => symbol)))).filter((s): s is string => s !== null);
    if (unknown.length > 0) throw new HttpProblem(400, 'validation', `Unknown symbols: ${unknown.join(', ')}. Create them with POST /v1/instruments first.`);
    await Promise.all(rules.map((rule) => results.events.saveRule(rule.hash, rule.spec)));
    const job = await batches.submit(request.caller.tenant, { symbols, rules, interval: (request.body.interval ?? '1d') as Interval });
    return reply.code(job.created ? 202 : 200).send({ id: job.id, state: job.state, links: { self: `/v1/jobs/${job.id}`, events: `/v1/jobs/${job.id}/events` } });
  });
};
