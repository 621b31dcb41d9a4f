import { describe, expect, it } from 'vitest';
import { median } from '../bench/lib/interleave.js';

describe('median of benchmark rounds', () => {
  it('is the middle value of an odd count, in any order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('is the mean of the two middle values of an even count, not the upper one', () => {
    expect(median([1.114, 1.338, 1.138, 1.27])).toBeCloseTo(1.204, 6);
  });

  it('is NaN when there is nothing to take it of', () => {
    expect(median([])).toBeNaN();
  });
});
