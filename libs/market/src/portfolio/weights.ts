/**
 * Long-only portfolio weights that sum to 1, with optional per-asset caps.
 * - minimum variance: min wᵀΣw, by accelerated projected gradient descent;
 * - maximum Sharpe: max (wᵀμ − r_f)/√(wᵀΣw), by projected gradient ascent with backtracking;
 * - equal risk contribution: every asset contributes wᵢ(Σw)ᵢ equally (cyclical coordinate
 *   descent, Griveau-Billion, Richard & Roncalli 2013), then normalised; caps do not apply.
 * Projection onto {0 ≤ wᵢ ≤ capᵢ, Σw = 1} is exact (bisection on the shift).
 */
import type { Matrix } from './covariance.js';

export interface WeightOptions {
  /** Upper bound per asset (a number for all, or one per asset); default 1. */
  caps?: number | readonly number[];
  maxIterations?: number;
  tolerance?: number;
}

function capsFor(n: number, caps: WeightOptions['caps']): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = caps === undefined ? 1 : typeof caps === 'number' ? caps : (caps[i] ?? 1);
  let total = 0;
  for (const c of out) {
    if (!(c > 0)) throw new RangeError(`caps must be positive, got ${c}`);
    total += c;
  }
  if (total < 1 - 1e-12) throw new RangeError(`caps add up to ${Number(total.toPrecision(12))}: weights cannot sum to 1`);
  return out;
}

/** Euclidean projection of v onto the capped simplex. */
export function projectCappedSimplex(v: Float64Array, caps: Float64Array): Float64Array {
  const n = v.length;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, (v[i] as number) - (caps[i] as number));
    hi = Math.max(hi, v[i] as number);
  }
  const out = new Float64Array(n);
  const fill = (tau: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.min(caps[i] as number, Math.max(0, (v[i] as number) - tau));
      out[i] = w;
      sum += w;
    }
    return sum;
  };
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (fill(mid) > 1) lo = mid;
    else hi = mid;
  }
  fill((lo + hi) / 2);
  return out;
}

function multiply(cov: Matrix, w: Float64Array): Float64Array {
  const out = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const row = cov[i] as Float64Array;
    let s = 0;
    for (let j = 0; j < w.length; j++) s += (row[j] as number) * (w[j] as number);
    out[i] = s;
  }
  return out;
}

function dot(a: Float64Array, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function checkSquare(cov: Matrix): number {
  const n = cov.length;
  if (n === 0) throw new RangeError('the covariance matrix is empty');
  for (const row of cov) if (row.length !== n) throw new RangeError('the covariance matrix must be square');
  return n;
}

/** An upper bound of the largest eigenvalue (max absolute row sum), for a safe gradient step. */
function lipschitz(cov: Matrix): number {
  let max = 0;
  for (const row of cov) {
    let s = 0;
    for (const v of row) s += Math.abs(v);
    max = Math.max(max, s);
  }
  return max || 1;
}

export function minimumVariance(cov: Matrix, options: WeightOptions = {}): Float64Array {
  const n = checkSquare(cov);
  const caps = capsFor(n, options.caps);
  const maxIterations = options.maxIterations ?? 20_000;
  const tolerance = options.tolerance ?? 1e-12;
  const step = 1 / (2 * lipschitz(cov));
  let w = projectCappedSimplex(new Float64Array(n).fill(1 / n), caps);
  let y = w;
  let t = 1;
  for (let k = 0; k < maxIterations; k++) {
    const grad = multiply(cov, y);
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = (y[i] as number) - 2 * step * (grad[i] as number);
    const projected = projectCappedSimplex(next, caps);
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const momentum = (t - 1) / tNext;
    const moved = new Float64Array(n);
    let change = 0;
    for (let i = 0; i < n; i++) {
      const d = (projected[i] as number) - (w[i] as number);
      change = Math.max(change, Math.abs(d));
      moved[i] = (projected[i] as number) + momentum * d;
    }
    w = projected;
    y = moved;
    t = tNext;
    if (change < tolerance) break;
  }
  return w;
}

export function maximumSharpe(mean: ArrayLike<number>, cov: Matrix, riskFree = 0, options: WeightOptions = {}): Float64Array {
  const n = checkSquare(cov);
  if (mean.length !== n) throw new RangeError(`${mean.length} expected returns for ${n} assets`);
  let anyAbove = false;
  for (let i = 0; i < n; i++) if ((mean[i] as number) > riskFree) anyAbove = true;
  if (!anyAbove) throw new RangeError('no asset is expected to earn more than the risk-free rate: the maximum-Sharpe portfolio is undefined');
  const caps = capsFor(n, options.caps);
  const maxIterations = options.maxIterations ?? 20_000;
  const tolerance = options.tolerance ?? 1e-12;
  const sharpe = (w: Float64Array) => (dot(w, mean) - riskFree) / Math.sqrt(dot(w, multiply(cov, w)));
  let w = projectCappedSimplex(new Float64Array(n).fill(1 / n), caps);
  let current = sharpe(w);
  let step = 1;
  for (let k = 0; k < maxIterations; k++) {
    const sw = multiply(cov, w);
    const variance = dot(w, sw);
    const sd = Math.sqrt(variance);
    const excess = dot(w, mean) - riskFree;
    const grad = new Float64Array(n);
    for (let i = 0; i < n; i++) grad[i] = ((mean[i] as number) * variance - excess * (sw[i] as number)) / (variance * sd);
    // Backtracking: grow the step after a success, halve it until the ratio improves.
    step *= 2;
    let candidate = w;
    let value = current;
    while (step > 1e-16) {
      const trial = new Float64Array(n);
      for (let i = 0; i < n; i++) trial[i] = (w[i] as number) + step * (grad[i] as number);
      candidate = projectCappedSimplex(trial, caps);
      value = sharpe(candidate);
      if (value > current) break;
      step /= 2;
    }
    if (!(value > current)) break;
    let change = 0;
    for (let i = 0; i < n; i++) change = Math.max(change, Math.abs((candidate[i] as number) - (w[i] as number)));
    w = candidate;
    current = value;
    if (change < tolerance) break;
  }
  return w;
}

export function equalRiskContribution(cov: Matrix, options: Pick<WeightOptions, 'maxIterations' | 'tolerance'> = {}): Float64Array {
  const n = checkSquare(cov);
  const maxIterations = options.maxIterations ?? 10_000;
  const tolerance = options.tolerance ?? 1e-12;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const variance = (cov[i] as Float64Array)[i] as number;
    if (!(variance > 0)) throw new RangeError(`asset ${i} has zero variance: its risk contribution cannot be set`);
    x[i] = 1 / Math.sqrt(variance);
  }
  const budget = 1 / n;
  for (let k = 0; k < maxIterations; k++) {
    let change = 0;
    for (let i = 0; i < n; i++) {
      const row = cov[i] as Float64Array;
      let others = 0;
      for (let j = 0; j < n; j++) if (j !== i) others += (row[j] as number) * (x[j] as number);
      const sii = row[i] as number;
      // Solves xᵢ·(Σx)ᵢ = b for xᵢ > 0 with the other weights fixed.
      const next = (-others + Math.sqrt(others * others + 4 * sii * budget)) / (2 * sii);
      change = Math.max(change, Math.abs(next - (x[i] as number)));
      x[i] = next;
    }
    if (change < tolerance) break;
  }
  let total = 0;
  for (const v of x) total += v;
  for (let i = 0; i < n; i++) x[i] = (x[i] as number) / total;
  return x;
}

/** Each asset's share of portfolio variance: wᵢ(Σw)ᵢ / wᵀΣw. */
export function riskContributions(cov: Matrix, w: Float64Array): Float64Array {
  const sw = multiply(cov, w);
  const variance = dot(w, sw);
  const out = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = ((w[i] as number) * (sw[i] as number)) / variance;
  return out;
}
