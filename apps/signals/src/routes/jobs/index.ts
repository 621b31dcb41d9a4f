import { JobStatus, Problem } from '@meridian/contracts';
import { HttpProblem, streamProgress } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BatchJobs, JobView } from '../../batch/jobs.js';

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
    const first = await find(tenant, request.params.id);
    await streamProgress(request, reply, first, {
      read: () => batches.status(tenant, request.params.id),
      fingerprint: (view) => `${view.state}:${view.progress}:${view.counts.done}:${view.counts.failed}`,
      final: (view) => (view.state === 'completed' || view.state === 'failed' ? view.state : undefined),
      // Progress reported while children finish can only rise; a late read must not step back.
      merge: (next, previous) => ({ ...next, progress: Math.max(next.progress, previous.progress) }),
    });
  });
};
