/**
 * Rolling extremes and moments in O(n): a monotonic deque for max/min, running sums for
 * mean and variance. Windows include the current bar; the first value is at index n−1.
 */
import { nanArray } from '../series.js';
import { assertPeriod } from './moving-averages.js';

function rollingExtreme(values: ArrayLike<number>, period: number, isMax: boolean): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = nanArray(n);
  // Indices whose values are monotonic (decreasing for max, increasing for min), oldest at head.
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    while (tail > head) {
      const last = values[deque[tail - 1] as number] as number;
      if (isMax ? last <= v : last >= v) tail--;
      else break;
    }
    deque[tail++] = i;
    if ((deque[head] as number) <= i - period) head++;
    if (i >= period - 1) out[i] = values[deque[head] as number] as number;
  }
  return out;
}

export function rollingMax(values: ArrayLike<number>, period: number): Float64Array {
  return rollingExtreme(values, period, true);
}

export function rollingMin(values: ArrayLike<number>, period: number): Float64Array {
  return rollingExtreme(values, period, false);
}

/**
 * Rolling standard deviation with `ddof` 0 (population, as Bollinger Bands use) or 1 (sample).
 * Sums are taken of values minus the first value so that prices far from zero do not lose
 * precision to cancellation in Σx² − (Σx)²/n.
 */
export function rollingStd(values: ArrayLike<number>, period: number, ddof: 0 | 1 = 0): Float64Array {
  assertPeriod('period', period, ddof + 1);
  const n = values.length;
  const out = nanArray(n);
  if (n < period) return out;
  const shift = values[0] as number;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - shift;
    sum += d;
    sumSq += d * d;
    if (i >= period) {
      const old = (values[i - period] as number) - shift;
      sum -= old;
      sumSq -= old * old;
    }
    if (i >= period - 1) {
      const variance = (sumSq - (sum * sum) / period) / (period - ddof);
      out[i] = variance > 0 ? Math.sqrt(variance) : 0;
    }
  }
  return out;
}
