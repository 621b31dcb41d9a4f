import { describe, expect, it } from 'vitest';
import { followsCaller, samplerFromEnv } from '../src/sampler.js';

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

  it('takes the caller’s decision only with a parent-based sampler (the default included)', () => {
    const follows = (name?: string) => followsCaller(samplerFromEnv(name === undefined ? {} : { OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: '0.5' }));
    expect([undefined, 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio', 'jaeger_remote'].map(follows)).toEqual([true, true, true, true, true]);
    expect(['always_on', 'always_off', 'traceidratio'].map(follows)).toEqual([false, false, false]);
  });
});
