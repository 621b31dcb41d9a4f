import { describe, expect, it } from 'vitest';
import { tracingEnabled } from '../src/enabled.js';

const endpoint = 'http://127.0.0.1:4318';

describe('tracingEnabled', () => {
  it('is on with an endpoint, off without one or with an empty one', () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toBe(true);
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
  });

  it('is off when OTEL_SDK_DISABLED is true, in any case, and on for any other value', () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: ' TRUE ' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'false' })).toBe(true);
  });
});
