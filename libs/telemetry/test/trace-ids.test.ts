import { randomFillSync } from 'node:crypto';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import * as core from '@opentelemetry/core';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { HexIdGenerator, parseTraceparent, ratioBound, traceKey } from '../src/trace-ids.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('parseTraceparent', () => {
  it.each([
    `00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-00`,
    `00-${TRACE}-${SPAN}-03`,
    ` 00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01 `,
    `01-${TRACE}-${SPAN}-01-what-the-future-adds`,
    `00-${TRACE}-${SPAN}-01-extra`,
    `ff-${TRACE}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-0g`,
    `00-${TRACE}-${SPAN}`,
    `00_${TRACE}-${SPAN}-01`,
    `01-${TRACE}-${SPAN}-01x`,
    '',
  ])('reads %j as OpenTelemetry does', (header) => {
    const ours = parseTraceparent(header);
    const theirs = core.parseTraceParent(header);
    expect(ours ? { traceId: ours.traceId, spanId: ours.spanId, traceFlags: ours.sampled ? 1 : 0 } : null).toEqual(theirs ? { ...theirs, traceFlags: theirs.traceFlags & 1 } : null);
  });

  it('reads no caller from a missing or repeated header', () => {
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent([`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`])).toBeUndefined();
  });
});

describe('HexIdGenerator', () => {
  it('makes valid ids of the right length that differ', () => {
    const ids = new HexIdGenerator();
    const traces = new Set(Array.from({ length: 100 }, () => ids.generateTraceId()));
    expect(traces.size).toBe(100);
    for (const id of traces) expect(id).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(ids.generateSpanId()).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
  });

  it('never makes an id of zeros', () => {
    const ids = new HexIdGenerator((pool) => pool.fill(0));
    expect(ids.generateTraceId()).toBe(`${'0'.repeat(30)}01`);
    expect(ids.lastTraceKey).toBe(traceKey(`${'0'.repeat(30)}01`));
    expect(ids.generateSpanId()).toBe(`${'0'.repeat(14)}01`);
  });

  it('refills its pool when it runs out, and never hands out the same bytes twice', () => {
    let fills = 0;
    const ids = new HexIdGenerator((pool) => {
      fills++;
      randomFillSync(pool);
    });
    // 4 KB makes 256 trace ids.
    const traces = new Set(Array.from({ length: 600 }, () => ids.generateTraceId()));
    expect(traces.size).toBe(600);
    expect(fills).toBe(3);
  });

  it("knows each trace id's key as the SDK's ratio sampler reads it from the id", () => {
    const ids = new HexIdGenerator();
    const sampler = new TraceIdRatioBasedSampler(0.3);
    const bound = ratioBound(0.3);
    let sampled = 0;
    for (let i = 0; i < 400; i++) {
      const id = ids.generateTraceId();
      expect(ids.lastTraceKey, id).toBe(traceKey(id));
      const theirs = sampler.shouldSample(ROOT_CONTEXT, id).decision === SamplingDecision.RECORD_AND_SAMPLED;
      expect(ids.lastTraceKey < bound, id).toBe(theirs);
      if (theirs) sampled++;
    }
    // Both outcomes occur (failing odds below 10^-60).
    expect(sampled).toBeGreaterThan(0);
    expect(sampled).toBeLessThan(400);
  });

  it('bounds keys as the SDK does at the ends of the range', () => {
    expect(ratioBound(1)).toBe(0x1_0000_0000);
    expect(ratioBound(0)).toBe(0);
    expect(traceKey('ffffffff000000000000000000000000')).toBe(0xffffffff);
    expect(traceKey('0000000f0000000f000000f0000000f0')).toBe(0);
  });

  it('uses every hex digit in every position', () => {
    const ids = new HexIdGenerator();
    const seen = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...ids.generateTraceId()].forEach((digit, at) => seen[at]?.add(digit));
    expect(seen.map((digits) => digits.size)).toEqual(Array(32).fill(16));
  });
});
