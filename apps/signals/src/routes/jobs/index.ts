import { JobStatus, Problem } from '@meridian/contracts';
import { HttpProblem } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BatchJobs, JobView } from '../../batch/jobs.js';

const POLL_MS = 200;
const HEARTBEAT_MS = 15_000;

export const jobRoutes: FastifyPluginAsyncTypebox<{ batches: BatchJobs }> = async (app, { batches }) => {
  async function find(tenant: string, id: string): Promise<JobView> {
    const view = await batches.status(tenant, id);
    if (!view) throw new HttpProblem(404, 'not-found', `No job ${id}. Jobs are removed some time after they finish (JOB_KEEP_COMPLETED_S); submit the request again.`);
    return view;
  }

  app.get('/v1/jobs/:id', {
    schema: {
      tags: ['jobs'],
      summary: 'State, progress, counts and errors of a job',
      params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
      response: { 200: JobStatus, 404: Problem },
    },
  }, async (request) => find(request.caller.tenant, request.params.id));

  app.get('/v1/jobs/:id/events', {
    schema: {
      tags: ['jobs'],
      summary: 'Progress as Server-Sent Events until the job ends',
      description: 'Each change of state or progress is one `progress` event carrying the job as GET /v1/jobs/{id} shows it; the stream ends with a `completed` or `failed` event. Events are in order and progress never goes down.',
      params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
      produces: ['text/event-stream'],
      response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/event-stream' }), 404: Problem },
    },
  }, async (request, reply) => {
    const tenant = request.caller.tenant;
    let view = await find(tenant, request.params.id);
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-request-id': request.id,
      // Proxies (nginx) otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    let closed = false;
    request.raw.on('close', () => {
      closed = true;
    });
    let sequence = 0;
    let last = '';
    let lastWrite = Date.now();
    const send = (event: string, data: JobView) => {
      out.write(`id: ${++sequence}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      lastWrite = Date.now();
    };
    try {
      while (!closed) {
        const fingerprint = `${view.state}:${view.progress}:${view.counts.done}:${view.counts.failed}`;
        if (view.state === 'completed' || view.state === 'failed') {
          send(view.state, view);
          break;
        }
        if (fingerprint !== last) {
          send('progress', view);
          last = fingerprint;
        } else if (Date.now() - lastWrite > HEARTBEAT_MS) {
          out.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        const next = await batches.status(tenant, request.params.id);
        if (!next) break;
        // Progress reported while children finish can only rise; a late read must not step back.
        view = { ...next, progress: Math.max(next.progress, view.progress) };
      }
    } catch (error) {
      request.log.warn({ err: (error as Error).message }, 'job event stream stopped');
    } finally {
      out.end();
    }
  });
};
