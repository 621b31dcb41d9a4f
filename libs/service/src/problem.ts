import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
// The databaseOutage decorator, when the process has pools.
import type {} from './plugins/pools.js';

/** An RFC 9457 problem document. `type` is a URI reference; see docs/errors.md. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Throw from a handler to answer with a problem document instead of a 500. */
export class HttpProblem extends Error {
  readonly statusCode: number;
  /** A known state (a dependency away) that is logged once when it begins, not per request. */
  quiet = false;
  constructor(
    status: number,
    readonly slug: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.statusCode = status;
  }
}

/** SQLSTATE 22021 (invalid byte sequence, as for NUL) and 22P05 (untranslatable character). */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

export function problem(status: number, slug: string | undefined, detail: string | undefined, request?: FastifyRequest): ProblemDocument {
  return {
    type: slug ? `/problems/${slug}` : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(request ? { instance: request.url, requestId: request.id } : {}),
  };
}

export function sendProblem(reply: FastifyReply, doc: ProblemDocument): FastifyReply {
  return reply.code(doc.status).type(PROBLEM_CONTENT_TYPE).send(doc);
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fieldOf(context: string | undefined, issue: ValidationIssue): string {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = typeof issue.params?.missingProperty === 'string' ? issue.params.missingProperty : undefined;
  const field = [path, missing].filter(Boolean).join('.');
  return context ? (field ? `${context}.${field}` : context) : field;
}

function fromError(error: FastifyError | HttpProblem, request: FastifyRequest): ProblemDocument {
  if ('validation' in error && error.validation) {
    const errors = (error.validation as ValidationIssue[]).map((issue) => ({
      field: fieldOf(error.validationContext, issue),
      message: issue.message ?? 'is invalid',
    }));
    return {
      ...problem(400, 'validation', `The request is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`, request),
      errors,
    };
  }
  if (error instanceof HttpProblem) {
    return { ...problem(error.statusCode, error.slug, error.message, request), ...error.extensions };
  }
  // Text PostgreSQL cannot store (a NUL character, bytes that are not UTF-8) came in a parameter
  // or body: the request's fault, whatever route it reached.
  if (UNSTORABLE_TEXT.has(String((error as { code?: unknown }).code))) {
    return problem(400, 'invalid-text', 'The request carries text that cannot be stored: a NUL character (\\u0000 or %00) or bytes that are not UTF-8. Remove them and send it again.', request);
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status >= 500) {
    return problem(status, 'internal', `An unexpected error occurred. Quote request id ${request.id} when reporting it.`, request);
  }
  // Fastify's own client errors (body too large, bad JSON, unsupported type) are safe to show.
  return problem(status, error.code ? error.code.toLowerCase().replace(/^fst_err_/, '').replaceAll('_', '-') : undefined, error.message, request);
}

/** One error handler and one 404 handler for the whole app, both answering problem+json. */
export const problems = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    // Logged once per outage by the pools plugin, not once per request.
    if (request.server.hasDecorator('databaseOutage') && request.server.databaseOutage.seen(error)) {
      reply.header('retry-after', '5');
      return sendProblem(reply, problem(503, 'database-unavailable', 'The database is unavailable; retry shortly.', request));
    }
    const doc = fromError(error, request);
    if (error instanceof HttpProblem && error.quiet) {
      // Its request line says 503; the state change was logged where it happened.
    } else if (doc.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: doc.status, detail: doc.detail }, 'request rejected');
    if (doc.status === 503 || doc.status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '5');
    return sendProblem(reply, doc);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, 'not-found', `No route ${request.method} ${request.url.split('?')[0]}.`, request)),
  );
}, { name: 'meridian-problems' });
