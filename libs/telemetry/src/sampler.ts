import { diag } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type Sampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';

const parentBased = (root: Sampler): Sampler => new ParentBasedSampler({ root });

/** OTEL_TRACES_SAMPLER_ARG as a ratio; out of range or missing means 1, as in the SDK. */
function ratioFrom(value: string | undefined): number {
  const ratio = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) return ratio;
  diag.error(`OTEL_TRACES_SAMPLER_ARG="${value ?? ''}" is not a ratio in [0, 1]; sampling every trace`);
  return 1;
}

const samplerName = (env: NodeJS.ProcessEnv) => env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';

/**
 * Whether `sampler` decides a request that has a caller exactly as the caller did: true of the
 * parent-based samplers samplerFromEnv builds (their delegates for a parent are the defaults).
 */
export const followsCaller = (sampler: Sampler): boolean => sampler instanceof ParentBasedSampler;

/**
 * The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name, built as the Node SDK builds
 * it from the same variables (parent-based always-on when unset or unknown). One object decides
 * for the SDK's own spans and for the server spans (server-spans.ts), so both agree.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): Sampler {
  const name = samplerName(env);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratioFrom(env.OTEL_TRACES_SAMPLER_ARG));
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return parentBased(new TraceIdRatioBasedSampler(ratioFrom(env.OTEL_TRACES_SAMPLER_ARG)));
    case 'parentbased_always_on':
      return parentBased(new AlwaysOnSampler());
    default:
      diag.error(`unknown OTEL_TRACES_SAMPLER "${name}"; using parentbased_always_on`);
      return parentBased(new AlwaysOnSampler());
  }
}
