import { constants as zlib } from 'node:zlib';
import compress from '@fastify/compress';
import fp from 'fastify-plugin';
import { BROTLI_QUALITY, COMPRESS_FROM_BYTES } from '../encoding.js';

/** br or gzip for responses of 1 KiB and more, as the client accepts. */
export const compression = fp(
  async (app) => {
    await app.register(compress, {
      threshold: COMPRESS_FROM_BYTES,
      encodings: ['br', 'gzip'],
      brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
    });
  },
  { name: 'meridian-compression' },
);
