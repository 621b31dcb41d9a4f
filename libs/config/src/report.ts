import { ConfigError } from './parse.js';

/** One line for the operator: which variable is wrong and what to do, or undefined for other errors. */
export function describeConfigError(error: unknown): string | undefined {
  if (!(error instanceof ConfigError)) return undefined;
  return `Invalid configuration: ${error.message}. Fix the environment variable ${error.variable} and start again.`;
}
