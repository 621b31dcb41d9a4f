import { describe, expect, it } from 'vitest';
import { median, medianInterval } from '../bench/lib/interleave.js';

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

describe('95 % interval of a median', () => {
  const ranks = (n: number) => Array.from({ length: n }, (_, i) => n - i);

  it('takes the order statistics the binomial distribution gives', () => {
    // 10 values: P(fewer than 2 below the median) = 11/1024 ≤ 2.5 % < P(fewer than 3) = 56/1024.
    expect(medianInterval(ranks(10))).toEqual([2, 9]);
    expect(medianInterval(ranks(40))).toEqual([14, 27]);
    expect(medianInterval(ranks(6))).toEqual([1, 6]);
  });

  it('sorts what it is given and narrows as values are added', () => {
    expect(medianInterval([0.93, 0.81, 1.02, 0.88, 0.9, 0.95, 0.86, 0.99, 0.91, 0.84])).toEqual([0.84, 0.99]);
    const [low, high] = medianInterval(ranks(200)) ?? [0, 0];
    expect([low, high]).toEqual([86, 115]);
  });

  it('gives none for fewer than 6 values', () => {
    expect(medianInterval(ranks(5))).toBeUndefined();
    expect(medianInterval([])).toBeUndefined();
  });
});
