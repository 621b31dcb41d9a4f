import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';
import type {} from './config.js';

export interface OpenApiOptions {
  version?: string;
  description?: string;
  /** Serve the app's own document at /openapi.json (the gateway serves the merged one instead). */
  publish?: boolean;
}

/** The OpenAPI 3.1 document generated from the routes' TypeBox schemas. */
export const openApi = fp(
  async (app, { version = '0.1.0', description = '', publish = true }: OpenApiOptions) => {
    await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: `Meridian ${app.config.service}`, version, description } } });
    if (publish) app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'meridian-openapi', dependencies: ['meridian-config'] },
);
