import { afterEach, describe, expect, it } from 'vitest';
import { spanLimitsFromEnv } from '../src/tracing.js';

const VARIABLES = ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_SPAN_LINK_COUNT_LIMIT'];

afterEach(() => {
  for (const name of VARIABLES) Reflect.deleteProperty(process.env, name);
});

describe('spanLimitsFromEnv', () => {
  it('reads the span limits, a span-specific variable before the general one', () => {
    process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT = '16';
    process.env.OTEL_ATTRIBUTE_COUNT_LIMIT = '64';
    process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT = '256';
    process.env.OTEL_SPAN_LINK_COUNT_LIMIT = '4';
    expect(spanLimitsFromEnv()).toEqual({ attributeCountLimit: 16, attributeValueLengthLimit: 256, eventCountLimit: undefined, linkCountLimit: 4 });
  });

  it('leaves every limit to the SDK when none is set', () => {
    expect(Object.values(spanLimitsFromEnv()).every((limit) => limit === undefined)).toBe(true);
  });
});
