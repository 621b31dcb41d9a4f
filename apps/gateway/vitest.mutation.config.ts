import { projectConfig } from '../../vitest.shared.js';

/**
 * Mutation testing of the auth, scope and path code runs the tests that state its behaviour. The
 * proxy's streaming tests pass through the auth hook too, without asserting on it, and would make
 * every mutant take several seconds more.
 */
const config = projectConfig();
config.test = { ...config.test, include: ['test/{auth,links,scopes,api-key,key-store,request-target}.test.ts'] };
export default config;
