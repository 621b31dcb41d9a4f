import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';
import { problem, sendProblem } from '../problem.js';
import type {} from './config.js';

/** 503 problem+json with `Retry-After` while the event loop lags past MAX_EVENT_LOOP_DELAY_MS. */
export const loadShedding = fp(
  async (app) => {
    const { service, maxEventLoopDelayMs } = app.config;
    await app.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      retryAfter: 5,
      pressureHandler: (request, reply, type) => {
        reply.header('retry-after', '5');
        sendProblem(reply, problem(503, 'overloaded', `The ${service} service is overloaded (${type}); retry shortly.`, request));
      },
    });
  },
  { name: 'meridian-load-shedding', dependencies: ['meridian-config'] },
);
