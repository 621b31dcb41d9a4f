import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { DuplicatePathError, mergeDocuments, type OpenApiDocument } from './merge.js';

const REFRESH_MS = 15_000;
const FIRST_RETRY_MS = 1_000;

/**
 * How long to wait before asking again while some service has not answered: soon at first (the
 * stack is still starting), then twice as long each time up to the normal refresh, so a service
 * that is not deployed costs the gateway a fetch every 15 s rather than every second.
 */
export function retryDelayMs(failedAttempts: number): number {
  return Math.min(REFRESH_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failedAttempts - 1));
}

/**
 * GET /openapi.json and /docs: the services' documents merged, fetched at start and again every
 * 15 s, so a restarted service's new routes appear without restarting the gateway. A
 * request for the document while some service is still missing asks that service first, so a
 * client that starts with the stack never reads a document without it.
 */
export const mergedOpenApi: FastifyPluginAsyncTypebox = fp(async (app) => {
  const { gateway: _self, ...services } = app.config.upstreams;
  const latest: Record<string, OpenApiDocument> = {};
  let merged: OpenApiDocument | undefined;

  async function refresh(): Promise<void> {
    await Promise.all(
      Object.entries(services).map(async ([name, url]) => {
        try {
          const res = await fetch(`${url}/openapi.json`, { signal: AbortSignal.timeout(2_000) });
          if (res.ok) latest[name] = (await res.json()) as OpenApiDocument;
        } catch {
          // keep the last document we had; the service may be restarting
        }
      }),
    );
    merged = mergeDocuments(app.swagger() as unknown as OpenApiDocument, latest);
  }

  const missing = () => Object.keys(services).filter((name) => !latest[name]);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let incomplete = 0;
  const schedule = () => {
    if (closed) return;
    incomplete = missing().length > 0 ? incomplete + 1 : 0;
    timer = setTimeout(() => {
      refresh()
        .catch((error: Error) => {
          if (error instanceof DuplicatePathError) app.log.error({ err: error.message }, 'API document not updated');
        })
        .finally(schedule);
    }, incomplete > 0 ? retryDelayMs(incomplete) : REFRESH_MS).unref();
  };
  app.addHook('onReady', async () => {
    await refresh();
    if (missing().length > 0) app.log.warn({ missing: missing() }, 'API document incomplete until these services answer');
    schedule();
  });
  app.addHook('onClose', async () => {
    closed = true;
    clearTimeout(timer);
  });

  const current = () => merged ?? mergeDocuments(app.swagger() as unknown as OpenApiDocument, latest);
  app.get('/openapi.json', { schema: { hide: true } }, async () => {
    if (missing().length > 0) await refresh();
    return current();
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    transformSpecification: () => current(),
    transformSpecificationClone: false,
  });
}, { name: 'merged-openapi' });
