import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../problem.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Whether the request carries `Authorization: Bearer <METRICS_TOKEN>`, the scrapers' credential. */
export function hasScrapeToken(request: FastifyRequest, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  // Compared as digests, so that neither the length nor the bytes leak through timing.
  return match !== null && timingSafeEqual(digest(match[1] as string), digest(token));
}

/** The 401 for a scrape without the token, saying which credential it needs. */
export function scrapeRefused(reply: FastifyReply): HttpProblem {
  reply.header('www-authenticate', 'Bearer');
  return new HttpProblem(401, 'unauthenticated', 'Metrics and health details need Authorization: Bearer <METRICS_TOKEN>, the credential of the cluster\'s scrapers.');
}
