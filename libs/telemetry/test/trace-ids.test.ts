import * as core from '@opentelemetry/core';
import { describe, expect, it, vi } from 'vitest';
import { HexIdGenerator, parseTraceparent } from '../src/trace-ids.js';

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
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const ids = new HexIdGenerator();
      expect(ids.generateTraceId()).toBe(`${'0'.repeat(30)}01`);
      expect(ids.generateSpanId()).toBe(`${'0'.repeat(14)}01`);
    } finally {
      random.mockRestore();
    }
  });

  it('uses every hex digit in every position', () => {
    const ids = new HexIdGenerator();
    const seen = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...ids.generateTraceId()].forEach((digit, at) => seen[at]?.add(digit));
    expect(seen.map((digits) => digits.size)).toEqual(Array(32).fill(16));
  });
});
