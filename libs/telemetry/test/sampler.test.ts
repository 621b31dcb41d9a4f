import { describe, expect, it } from 'vitest';
import { samplerFromEnv } from '../src/sampler.js';

describe('samplerFromEnv', () => {
  it.each([
    [undefined, undefined, 'ParentBased{root=AlwaysOnSampler'],
    ['always_on', undefined, 'AlwaysOnSampler'],
    ['always_off', undefined, 'AlwaysOffSampler'],
    ['traceidratio', '0.25', 'TraceIdRatioBased{0.25}'],
    ['parentbased_always_off', undefined, 'ParentBased{root=AlwaysOffSampler'],
    ['parentbased_traceidratio', '0.1', 'ParentBased{root=TraceIdRatioBased{0.1}'],
    // As the SDK: an unknown name means the default, a ratio out of range or missing means 1.
    ['jaeger_remote', undefined, 'ParentBased{root=AlwaysOnSampler'],
    ['parentbased_traceidratio', '1.5', 'ParentBased{root=TraceIdRatioBased{1}'],
    ['traceidratio', undefined, 'TraceIdRatioBased{1}'],
  ])('OTEL_TRACES_SAMPLER=%s OTEL_TRACES_SAMPLER_ARG=%s builds %s…', (name, arg, expected) => {
    const env: NodeJS.ProcessEnv = {};
    if (name !== undefined) env.OTEL_TRACES_SAMPLER = name;
    if (arg !== undefined) env.OTEL_TRACES_SAMPLER_ARG = arg;
    expect(samplerFromEnv(env).toString().startsWith(expected)).toBe(true);
  });
});
