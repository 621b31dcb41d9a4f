import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const globalSetup = join(root, 'tools/testing/global-setup.ts');

/** One Vitest configuration for every project: real Postgres and Redis, checked before any test runs. */
export function projectConfig(options: { needsServices?: boolean; testTimeout?: number } = {}) {
  const { name } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name: string };
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      globalSetup: options.needsServices === false ? [] : [globalSetup],
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      pool: 'forks',
      // Two cores: more workers only fight over them.
      maxWorkers: 2,
      // npm test adds these reports up into one closing line.
      reporters: ['default', 'json'],
      outputFile: { json: join(root, 'tmp/test-results', `${name}.json`) },
      env: { NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    },
  });
}
