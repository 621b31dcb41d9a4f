import type { Config } from '@meridian/config';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

/** `app.config`: the validated environment every other plugin reads. */
export const config = fp(
  async (app, options: { config: Config }) => {
    app.decorate('config', options.config);
  },
  { name: 'meridian-config' },
);
