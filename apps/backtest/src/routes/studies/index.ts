import { Accepted, Problem, RunState, StudyView, SweepRequest, ValidationRequest } from '@meridian/contracts';
import { StrategyRepository, StudyRepository, type StudyKind, type StudyRow } from '@meridian/db';
import type { ParamValues } from '@meridian/market';
import { deterministicJobId } from '@meridian/queue';
import { HttpProblem, streamProgress } from '@meridian/service';
import { sendPage } from '@meridian/service/html-page';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BarSource } from '../../bars.js';
import type { ResearchJobs } from '../../jobs/queue.js';
import { studyReport } from '../../report/study.js';
import { gridSets, resolveTarget, type TargetInput } from '../../requests.js';
import { submitRun } from '../../submit.js';
import { finalEvent, studyView } from '../../views.js';

const Id = Type.Object({ id: Type.String({ maxLength: 128 }) });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface StudyRouteOptions {
  jobs: ResearchJobs;
  bars: BarSource;
}

type StudyBody = TargetInput & {
  grid: Record<string, ParamValues>;
  objective?: string;
  constraints?: { where?: string[]; minTrades?: number };
  top?: number;
  mode?: string;
  inSample?: number;
  outOfSample?: number;
};

/** POST, GET, events, cancel and report for sweeps (/v1/sweeps) and walk-forward validations (/v1/validations). */
export const studyRoutes: FastifyPluginAsyncTypebox<StudyRouteOptions> = async (app, { jobs, bars }) => {
  const strategies = new StrategyRepository(app.db.write, app.db.read);
  const studies = new StudyRepository(app.db.write, app.db.read);
  const secret = app.config.internalSecret;

  for (const kind of ['sweep', 'validation'] as const satisfies readonly StudyKind[]) {
    const base = kind === 'sweep' ? '/v1/sweeps' : '/v1/validations';
    const noun = kind === 'sweep' ? 'sweep' : 'validation';
    const find = async (tenant: string, id: string): Promise<StudyRow> => {
      const row = await studies.get(tenant, kind, id);
      if (!row) throw new HttpProblem(404, 'not-found', `No ${noun} ${id}.`);
      return row;
    };
    const progressOf = async (row: StudyRow) => (row.state === 'running' || row.state === 'queued' ? ((await jobs.progress(kind, row.id, row.runs)) ?? 0) : 0);

    app.post(base, {
      schema: {
        tags: [kind === 'sweep' ? 'sweeps' : 'validations'],
        summary:
          kind === 'sweep'
            ? 'Queue a parameter sweep: every set of the grid backtested, ranked by the objective'
            : 'Queue a walk-forward validation: per split, the grid optimised in-sample and its winner tested out-of-sample',
        description: 'Runs as chunks of parameter sets on every worker. The same request again returns the same id.',
        body: kind === 'sweep' ? SweepRequest : ValidationRequest,
        response: { 202: Accepted, 400: Problem, 404: Problem, 503: Problem },
      },
    }, async (request, reply) => {
      const { tenant } = request.caller;
      const body = request.body as unknown as StudyBody;
      const { target, bars: barCount } = await resolveTarget({ strategies, bars }, tenant, body);
      const sets = gridSets(body.grid, body.constraints?.where ?? []);
      const objective = (body.objective ?? 'sharpe') as 'sharpe';
      const minTrades = body.constraints?.minTrades ?? 0;
      const common = { strategyId: target.strategyId, spec: target.rawSpec, config: target.config, symbol: target.symbol, interval: target.interval, from: iso(target.from), to: iso(target.to), grid: body.grid, objective, constraints: body.constraints ?? {} };
      const normalised =
        kind === 'sweep'
          ? { ...common, top: body.top ?? 10 }
          : { ...common, mode: body.mode ?? 'rolling', inSample: body.inSample as number, outOfSample: body.outOfSample as number };
      if (kind === 'validation' && barCount < (body.inSample as number) + (body.outOfSample as number)) {
        throw new HttpProblem(400, 'validation', `The range holds ${barCount} bars: not enough for one split of ${body.inSample} in-sample and ${body.outOfSample} out-of-sample bars.`, {
          errors: [{ field: 'inSample', message: 'with outOfSample exceeds the bars in the range' }],
        });
      }
      const id = deterministicJobId(kind === 'sweep' ? 'sw' : 'wf', tenant, normalised);
      await submitRun(
        studies,
        tenant,
        () => studies.insert({ id, tenant, kind, strategyId: target.strategyId, request: normalised }),
        (runs) =>
          kind === 'sweep'
            ? jobs.queueSweep(
                { id, tenant, total: sets.length, top: body.top ?? 10 },
                { id, tenant, window: { symbol: target.symbol, interval: target.interval, from: target.from, to: target.to }, spec: target.rawSpec, config: target.config, objective, minTrades },
                sets,
                runs,
              )
            : jobs.queue('validation', { id, tenant }, runs),
      );
      const view = studyView(await find(tenant, id), 0, secret, request.caller);
      return reply.code(202).header('location', view.links.self).send({ id, state: view.state, links: view.links });
    });

    app.get(`${base}/:id`, {
      schema: { tags: [`${noun}s`], summary: `State, progress and result of a ${noun}`, params: Id, response: { 200: StudyView, 404: Problem } },
    }, async (request) => {
      const row = await find(request.caller.tenant, request.params.id);
      return studyView(row, await progressOf(row), secret, request.caller);
    });

    app.get(`${base}/:id/events`, {
      schema: {
        tags: [`${noun}s`],
        summary: `Progress of a ${noun} as Server-Sent Events until it ends`,
        params: Id,
        produces: ['text/event-stream'],
        response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/event-stream' }), 404: Problem },
      },
    }, async (request, reply) => {
      const { tenant } = request.caller;
      const view = async (row: StudyRow) => studyView(row, await progressOf(row), secret, request.caller);
      await streamProgress(request, reply, await view(await find(tenant, request.params.id)), {
        read: async () => {
          const row = await studies.get(tenant, kind, request.params.id);
          return row ? view(row) : undefined;
        },
        fingerprint: (v) => `${v.state}:${v.progress}`,
        final: finalEvent,
        merge: (next, previous) => ({ ...next, progress: Math.max(next.progress, previous.progress) }),
      });
    });

    app.delete(`${base}/:id`, {
      schema: {
        tags: [`${noun}s`],
        summary: `Cancel a queued or running ${noun}`,
        params: Id,
        response: { 202: Type.Object({ id: Type.String(), state: RunState }), 404: Problem, 409: Problem },
      },
    }, async (request, reply) => {
      const row = await find(request.caller.tenant, request.params.id);
      const outcome = await studies.cancel(request.caller.tenant, row.id);
      if (!outcome?.changed) throw new HttpProblem(409, 'conflict', `The ${noun} is already ${outcome?.state ?? row.state}; only queued or running work can be cancelled.`);
      await jobs.cancel(kind, row.id, row.runs);
      return reply.code(202).send({ id: row.id, state: outcome.state });
    });

    app.get(`${base}/:id/report`, {
      schema: {
        tags: [`${noun}s`],
        summary: kind === 'sweep' ? 'A self-contained HTML report: the objective heatmap and the top runs' : 'A self-contained HTML report: the out-of-sample curve and every split',
        params: Id,
        produces: ['text/html'],
        response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/html' }), 404: Problem, 409: Problem },
      },
    }, async (request, reply) => {
      const row = await find(request.caller.tenant, request.params.id);
      if (row.state !== 'completed') throw new HttpProblem(409, 'not-finished', `The ${noun} is ${row.state}; its report exists once it has completed.`);
      const page = studyReport(row);
      return sendPage(reply, page);
    });
  }
};
