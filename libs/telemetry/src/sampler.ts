import { diag } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type Sampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { ratioBound } from './trace-ids.js';

/** OTEL_TRACES_SAMPLER_ARG as a ratio; out of range or missing means 1, as in the SDK. */
function ratioFrom(value: string | undefined): number {
  const ratio = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) return ratio;
  diag.error(`OTEL_TRACES_SAMPLER_ARG="${value ?? ''}" is not a ratio in [0, 1]; sampling every trace`);
  return 1;
}

const samplerName = (env: NodeJS.ProcessEnv) => env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
const PARENT_BASED = 'parentbased_';
// The samplers a name may end in, after the optional parentbased_.
const KNOWN = new Set(['always_on', 'always_off', 'traceidratio']);

/** How the process samples, as OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG say. */
export interface Sampling {
  /** For the SDK's own spans (pg, ioredis, BullMQ). */
  sampler: Sampler;
  /**
   * Whether a request with a caller is decided as the caller decided (the parent-based samplers,
   * whose delegates for a parent are the defaults); else it is decided by `rootBound` as a root is.
   */
  followsCaller: boolean;
  /**
   * The ratio as a bound on a trace id's key (traceKey in trace-ids.ts): a trace is sampled when
   * its key is below it, exactly as the SDK's TraceIdRatioBasedSampler decides; 2^32 for
   * always_on, 0 for always_off. server-spans.ts decides its requests with it rather than through
   * the SDK's sampler, which checks each new id digit by digit and reads it back from hex
   * (BENCHMARKS.md, tracing, session 20).
   */
  rootBound: number;
}

/**
 * The sampling OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name, built as the Node SDK builds
 * its sampler from the same variables (parent-based always-on when unset or unknown). The server
 * spans (server-spans.ts) and the SDK's spans decide alike.
 */
export function samplingFromEnv(env: NodeJS.ProcessEnv = process.env): Sampling {
  const name = samplerName(env);
  let followsCaller = name.startsWith(PARENT_BASED);
  let root = followsCaller ? name.slice(PARENT_BASED.length) : name;
  if (!KNOWN.has(root)) {
    diag.error(`unknown OTEL_TRACES_SAMPLER "${name}"; using parentbased_always_on`);
    followsCaller = true;
    root = 'always_on';
  }
  const ratio = root === 'always_on' ? 1 : root === 'always_off' ? 0 : ratioFrom(env.OTEL_TRACES_SAMPLER_ARG);
  const sampler = root === 'always_on' ? new AlwaysOnSampler() : root === 'always_off' ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(ratio);
  return { sampler: followsCaller ? new ParentBasedSampler({ root: sampler }) : sampler, followsCaller, rootBound: ratioBound(ratio) };
}
