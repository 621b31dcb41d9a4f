import type { Config } from '@meridian/config';
import { logTraceIds } from '@meridian/telemetry';
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';

/**
 * JSON lines in production and under `npm start` (which prettifies them itself); pretty on a
 * terminal. `name` labels the lines of a process other than the service itself (`signals-worker`).
 */
export function loggerOptions(config: Config, name: string = config.service): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    base: { service: name, pid: process.pid },
    // Lines written inside a traced request name its trace, so Jaeger and the logs meet.
    mixin: logTraceIds,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-meridian-internal"]'], censor: '[redacted]' },
    ...(config.logFormat === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

/** One line per request, when it completes, instead of Fastify's two. */
export class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override streamError(error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply): void {
    // A client that hangs up mid-stream is routine for a proxy, not a warning.
    const aborted = error.code === 'UND_ERR_ABORTED' || error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error.code === 'ECONNRESET';
    if (aborted) reply.log.info({ err: error.message }, 'client closed the connection mid-response');
    else reply.log.warn({ err: error }, 'response terminated with an error with headers already sent');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
