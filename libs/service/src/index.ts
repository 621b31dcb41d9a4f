export { createService, type ServiceOptions } from './service.js';
export { runService, main } from './run.js';
export { HttpProblem, problem, sendProblem, PROBLEM_CONTENT_TYPE, type ProblemDocument } from './problem.js';
export { createRedis, pingRedis, type RedisOptions } from './redis.js';
export type { ReadinessCheck } from './health.js';
export type { Service } from './types.js';
export { INTERNAL_HEADER, signInternal, verifyInternal, type Caller } from './internal-auth.js';
export { probeServices, type ProbeResult } from './probe.js';
export { createLogger } from './logger.js';
