import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { INTERNAL_HEADER, signInternal } from '@meridian/service';
import fp from 'fastify-plugin';
import { DuplicatePathError, mergeDocuments, type OpenApiDocument } from './merge.js';

const GATEWAY_CALLER = { tenant: 'gateway', keyId: 'openapi' };

/** A merged document older than this is rebuilt before it is served. */
export const REFRESH_MS = 15_000;

/**
 * GET /openapi.json and /docs: the services' documents merged, fetched at start and again when
 * the document is read and is older than 15 s, or lacks a service, so a restarted service's new
 * routes appear without restarting the gateway. Nothing runs while nobody reads the document.
 */
export const mergedOpenApi: FastifyPluginAsyncTypebox = fp(async (app) => {
  const { gateway: _self, ...services } = app.config.upstreams;
  const latest: Record<string, OpenApiDocument> = {};
  let merged: OpenApiDocument | undefined;
  let fetchedAt = 0;
  let inFlight: Promise<void> | undefined;

  async function fetchAll(): Promise<void> {
    await Promise.all(
      Object.entries(services).map(async ([name, url]) => {
        try {
          // A service's document is not public on its own port: the gateway asks as itself.
          const headers = { [INTERNAL_HEADER]: signInternal(app.config.internalSecret, 'GET', '/openapi.json', GATEWAY_CALLER) };
          const res = await fetch(`${url}/openapi.json`, { headers, signal: AbortSignal.timeout(2_000) });
          if (res.ok) latest[name] = (await res.json()) as OpenApiDocument;
        } catch {
          // keep the last document we had; the service may be restarting
        }
      }),
    );
    fetchedAt = Date.now();
    merged = mergeDocuments(app.swagger() as unknown as OpenApiDocument, latest);
  }

  /** One refresh at a time: readers arriving meanwhile wait for the same one. */
  const refresh = (): Promise<void> => {
    inFlight ??= fetchAll().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const missing = () => Object.keys(services).filter((name) => !latest[name]);
  const stale = () => missing().length > 0 || Date.now() - fetchedAt >= REFRESH_MS;
  app.addHook('onReady', async () => {
    await refresh();
    if (missing().length > 0) app.log.warn({ missing: missing() }, 'API document incomplete until these services answer');
  });

  const current = () => merged ?? mergeDocuments(app.swagger() as unknown as OpenApiDocument, latest);
  const fresh = async () => {
    if (stale()) {
      await refresh().catch((error: Error) => {
        if (!(error instanceof DuplicatePathError)) throw error;
        app.log.error({ err: error.message }, 'API document not updated');
      });
    }
    return current();
  };
  app.get('/openapi.json', { schema: { hide: true } }, fresh);
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The UI reads the document from /docs/json, which serves current(): bring it up to date first.
    uiHooks: {
      onRequest: async () => {
        await fresh();
      },
    },
    transformSpecification: () => current(),
    transformSpecificationClone: false,
  });
}, { name: 'merged-openapi' });
