import cors from '@fastify/cors';
import { createService, type Service, type AppOptions } from '@meridian/service';
import { apiKeyAuth } from './auth/index.js';
import { mergedOpenApi } from './openapi/index.js';
import { proxyRoutes } from './proxy/index.js';
import { rateLimits } from './rate-limit/index.js';
import { refuseBadTargets, rewriteTarget } from './request-target/index.js';
import { aggregateHealth } from './routes/health.js';
import { linkRoutes } from './routes/links.js';
import { securityHeaders } from './security-headers.js';

/** The gateway without a listener: main.ts listens, tests inject or listen on port 0. */
export async function buildApp(options: AppOptions): Promise<Service> {
  const app = await createService({ ...options, internalAuth: false, publishOpenApi: false, scopeHandlers: false, rewriteUrl: rewriteTarget, description: 'The public entry to Meridian.' });
  await app.register(refuseBadTargets);
  await app.register(securityHeaders);
  if (app.config.gateway.corsOrigins.length > 0) await app.register(cors, { origin: app.config.gateway.corsOrigins });
  await app.register(apiKeyAuth);
  await app.register(rateLimits);
  await app.register(aggregateHealth);
  await app.register(linkRoutes);
  await app.register(mergedOpenApi);
  await app.register(proxyRoutes);
  return app;
}
