import { describe, expect, it } from 'vitest';
import { expandGrid, MAX_GRID, walkForward } from '../src/index.js';

describe('parameter grids', () => {
  it('expands lists and ranges with the first parameter varying slowest', () => {
    expect(expandGrid({ fast: [5, 10], slow: { from: 20, to: 40, step: 10 } })).toEqual([
      { fast: 5, slow: 20 },
      { fast: 5, slow: 30 },
      { fast: 5, slow: 40 },
      { fast: 10, slow: 20 },
      { fast: 10, slow: 30 },
      { fast: 10, slow: 40 },
    ]);
  });

  it('counts fractional steps without drift', () => {
    expect(expandGrid({ k: { from: 0.1, to: 0.5, step: 0.1 } }).map((s) => s.k)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it('drops combinations the filter rejects', () => {
    const sets = expandGrid({ fast: { from: 10, to: 50, step: 10 }, slow: { from: 10, to: 50, step: 10 } }, (s) => (s.fast as number) < (s.slow as number));
    expect(sets).toHaveLength(10);
    expect(sets.every((s) => (s.fast as number) < (s.slow as number))).toBe(true);
  });

  it('refuses an empty parameter, a backwards range and a grid over the limit', () => {
    expect(() => expandGrid({ fast: [] })).toThrow(/"fast" has no values/);
    expect(() => expandGrid({ fast: { from: 10, to: 5, step: 1 } })).toThrow(/from ≤ to and step > 0/);
    expect(() => expandGrid({ a: { from: 1, to: 1000, step: 1 }, b: { from: 1, to: 1000, step: 1 } })).toThrow(`at most ${MAX_GRID}`);
  });
});

describe('walk-forward splits', () => {
  it('slides a rolling window so that out-of-sample windows tile the data', () => {
    expect(walkForward(100, { inSample: 50, outOfSample: 20, mode: 'rolling' })).toEqual([
      { inSample: { start: 0, end: 50 }, outOfSample: { start: 50, end: 70 } },
      { inSample: { start: 20, end: 70 }, outOfSample: { start: 70, end: 90 } },
    ]);
  });

  it('grows an anchored window from bar 0', () => {
    const splits = walkForward(100, { inSample: 50, outOfSample: 25, mode: 'anchored' });
    expect(splits.map((s) => [s.inSample.start, s.inSample.end, s.outOfSample.end])).toEqual([
      [0, 50, 75],
      [0, 75, 100],
    ]);
  });

  it('rejects non-positive sizes', () => {
    expect(() => walkForward(100, { inSample: 0, outOfSample: 10, mode: 'rolling' })).toThrow(/inSample must be a positive integer/);
  });
});
