import { describe, expect, it } from 'vitest';
import { samplingFromEnv } from '../src/sampler.js';

describe('samplingFromEnv', () => {
  it.each([
    [undefined, undefined, 'ParentBased{root=AlwaysOnSampler', 2 ** 32],
    ['always_on', undefined, 'AlwaysOnSampler', 2 ** 32],
    ['always_off', undefined, 'AlwaysOffSampler', 0],
    ['traceidratio', '0.25', 'TraceIdRatioBased{0.25}', Math.floor(0.25 * 0xffffffff)],
    ['parentbased_always_off', undefined, 'ParentBased{root=AlwaysOffSampler', 0],
    ['parentbased_traceidratio', '0.1', 'ParentBased{root=TraceIdRatioBased{0.1}', Math.floor(0.1 * 0xffffffff)],
    // As the SDK: an unknown name means the default, a ratio out of range or missing means 1.
    ['jaeger_remote', undefined, 'ParentBased{root=AlwaysOnSampler', 2 ** 32],
    ['parentbased_jaeger_remote', '0.5', 'ParentBased{root=AlwaysOnSampler', 2 ** 32],
    ['parentbased_traceidratio', '1.5', 'ParentBased{root=TraceIdRatioBased{1}', 2 ** 32],
    ['traceidratio', undefined, 'TraceIdRatioBased{1}', 2 ** 32],
  ])('OTEL_TRACES_SAMPLER=%s OTEL_TRACES_SAMPLER_ARG=%s builds %s… and bounds keys at %d', (name, arg, expected, bound) => {
    const env: NodeJS.ProcessEnv = {};
    if (name !== undefined) env.OTEL_TRACES_SAMPLER = name;
    if (arg !== undefined) env.OTEL_TRACES_SAMPLER_ARG = arg;
    const sampling = samplingFromEnv(env);
    expect(sampling.sampler.toString().startsWith(expected)).toBe(true);
    expect(sampling.rootBound).toBe(bound);
  });

  it('takes the caller’s decision only with a parent-based sampler (the default included)', () => {
    const follows = (name?: string) => samplingFromEnv(name === undefined ? {} : { OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: '0.5' }).followsCaller;
    expect([undefined, 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio', 'jaeger_remote'].map(follows)).toEqual([true, true, true, true, true]);
    expect(['always_on', 'always_off', 'traceidratio'].map(follows)).toEqual([false, false, false]);
  });
});
