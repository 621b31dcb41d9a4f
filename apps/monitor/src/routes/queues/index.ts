import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync } from 'fastify';
import type { QueueWatch } from '../../collect/queues.js';

export const QUEUES_PATH = '/v1/monitor/queues';

/**
 * Bull Board over every queue of the platform. Its actions (retry, clean, pause) are writes to
 * /v1/monitor, which the gateway grants only to keys with the admin scope; a signed link grants
 * only its pages and reads.
 */
export const queueBoard: FastifyPluginAsync<{ queues: QueueWatch }> = async (app, { queues }) => {
  const adapter = new FastifyAdapter();
  createBullBoard({ queues: queues.queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: adapter, options: { uiConfig: { boardTitle: 'Meridian queues' } } });
  adapter.setBasePath(QUEUES_PATH);
  await app.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
};
