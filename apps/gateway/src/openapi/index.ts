import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { DuplicatePathError, mergeDocuments, type OpenApiDocument } from './merge.js';

const REFRESH_MS = 15_000;

/**
 * GET /openapi.json and /docs: the services' documents merged, fetched at start and again every
 * few seconds, so a restarted service's new routes appear without restarting the gateway.
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

  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await refresh();
    const missing = Object.keys(services).filter((name) => !latest[name]);
    if (missing.length > 0) app.log.warn({ missing }, 'API document incomplete until these services answer');
    timer = setInterval(() => {
      refresh().catch((error: Error) => {
        if (error instanceof DuplicatePathError) app.log.error({ err: error.message }, 'API document not updated');
      });
    }, REFRESH_MS).unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));

  const current = () => merged ?? mergeDocuments(app.swagger() as unknown as OpenApiDocument, latest);
  app.get('/openapi.json', { schema: { hide: true } }, async () => current());
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    transformSpecification: () => current(),
    transformSpecificationClone: false,
  });
}, { name: 'merged-openapi' });
