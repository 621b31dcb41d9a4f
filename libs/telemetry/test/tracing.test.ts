import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spanLimitsFromEnv } from '../src/tracing.js';

const VARIABLES = ['ATTRIBUTE_COUNT', 'ATTRIBUTE_VALUE_LENGTH', 'EVENT_COUNT', 'LINK_COUNT'].flatMap((limit) => [`OTEL_SPAN_${limit}_LIMIT`, `OTEL_${limit}_LIMIT`]);
// Whatever the shell that runs the tests has set is no part of them.
const clear = () => {
  for (const name of VARIABLES) Reflect.deleteProperty(process.env, name);
};
beforeEach(clear);
afterEach(clear);

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
