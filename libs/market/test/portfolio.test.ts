import { describe, expect, it } from 'vitest';
import { covariance, equalRiskContribution, ledoitWolf, maximumSharpe, minimumVariance, riskContributions, type Matrix } from '../src/index.js';
import { random } from './helpers.js';

const matrix = (rows: number[][]): Matrix => rows.map((r) => Float64Array.from(r));
const sum = (w: Float64Array) => w.reduce((a, b) => a + b, 0);

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

describe('portfolio weights', () => {
  it('minimum variance of two assets matches the closed form', () => {
    const s1 = 0.04;
    const s2 = 0.09;
    const s12 = 0.012;
    const w = minimumVariance(matrix([[s1, s12], [s12, s2]]));
    const expected = (s2 - s12) / (s1 + s2 - 2 * s12);
    expect(w[0]).toBeCloseTo(expected, 8);
    expect(w[1]).toBeCloseTo(1 - expected, 8);
  });

  it('minimum variance of uncorrelated assets is inverse-variance, and caps bind', () => {
    const variances = [0.01, 0.04, 0.16, 0.25];
    const cov = matrix(variances.map((v, i) => variances.map((_, j) => (i === j ? v : 0))));
    const inverse = variances.map((v) => 1 / v);
    const total = inverse.reduce((a, b) => a + b, 0);
    const w = minimumVariance(cov);
    inverse.forEach((x, i) => expect(w[i]).toBeCloseTo(x / total, 8));
    const capped = minimumVariance(cov, { caps: 0.4 });
    expect(capped[0]).toBeCloseTo(0.4, 8);
    expect(sum(capped)).toBeCloseTo(1, 12);
    expect(Math.max(...capped)).toBeLessThanOrEqual(0.4 + 1e-12);
    expect(() => minimumVariance(cov, { caps: 0.2 })).toThrow(/caps add up to 0.8/);
  });

  it('maximum Sharpe of uncorrelated assets is proportional to excess return over variance', () => {
    const mean = [0.08, 0.12, 0.1];
    const variances = [0.04, 0.09, 0.0625];
    const rf = 0.02;
    const cov = matrix(variances.map((v, i) => variances.map((_, j) => (i === j ? v : 0))));
    const raw = mean.map((m, i) => (m - rf) / (variances[i] as number));
    const total = raw.reduce((a, b) => a + b, 0);
    const w = maximumSharpe(mean, cov, rf);
    raw.forEach((x, i) => expect(w[i]).toBeCloseTo(x / total, 6));
    expect(() => maximumSharpe([0.01, 0.01, 0.01], cov, rf)).toThrow(/no asset is expected to earn more than the risk-free rate/);
  });

  it('equal risk contribution of uncorrelated assets is inverse-volatility, and contributions are equal with correlation', () => {
    const variances = [0.01, 0.04, 0.09];
    const cov = matrix(variances.map((v, i) => variances.map((_, j) => (i === j ? v : 0))));
    const inverse = variances.map((v) => 1 / Math.sqrt(v));
    const total = inverse.reduce((a, b) => a + b, 0);
    const w = equalRiskContribution(cov);
    inverse.forEach((x, i) => expect(w[i]).toBeCloseTo(x / total, 10));
    const correlated = matrix([
      [0.04, 0.018, 0.006],
      [0.018, 0.09, 0.027],
      [0.006, 0.027, 0.0225],
    ]);
    const erc = equalRiskContribution(correlated);
    expect(sum(erc)).toBeCloseTo(1, 12);
    for (const rc of riskContributions(correlated, erc)) expect(rc).toBeCloseTo(1 / 3, 9);
  });
});

describe('Ledoit–Wolf shrinkage', () => {
  const next = random(3);
  const assets = 20;
  const observations = 10;
  const returns = Array.from({ length: assets }, () => Float64Array.from({ length: observations }, () => 0.01 * gaussian(next)));

  it('keeps a covariance with fewer observations than assets positive definite', () => {
    const { covariance: shrunk, shrinkage } = ledoitWolf(returns);
    expect(shrinkage).toBeGreaterThan(0);
    expect(shrinkage).toBeLessThanOrEqual(1);
    expect(isPositiveDefinite(shrunk)).toBe(true);
    expect(isPositiveDefinite(covariance(returns))).toBe(false);
  });

  it('blends the ML covariance with μ·I, preserving the trace', () => {
    const { covariance: shrunk, shrinkage } = ledoitWolf(returns);
    const sample = covariance(returns, 0);
    const trace = (m: Matrix) => m.reduce((a, row, i) => a + (row[i] as number), 0);
    expect(trace(shrunk)).toBeCloseTo(trace(sample), 14);
    expect(shrunk[0]?.[1]).toBeCloseTo((1 - shrinkage) * (sample[0]?.[1] as number), 16);
  });

  it('shrinks less as observations grow when the true covariance is far from μ·I', () => {
    // One common factor with different loadings: strongly correlated, unequal variances.
    const factor = Float64Array.from({ length: 5_000 }, () => 0.01 * gaussian(next));
    const many = [0.5, 1, 1.5, 2, 3].map((beta) => factor.map((f) => beta * f + 0.002 * gaussian(next)));
    const few = many.map((r) => r.subarray(0, 20));
    expect(ledoitWolf(many).shrinkage).toBeLessThan(ledoitWolf(few).shrinkage);
  });

  it('refuses misaligned series', () => {
    expect(() => ledoitWolf([Float64Array.of(1, 2, 3), Float64Array.of(1, 2)])).toThrow(/series 1 has 2 values/);
  });
});

function isPositiveDefinite(m: Matrix): boolean {
  const n = m.length;
  const l = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = (m[i] as Float64Array)[j] as number;
      for (let k = 0; k < j; k++) s -= ((l[i] as Float64Array)[k] as number) * ((l[j] as Float64Array)[k] as number);
      if (i === j) {
        if (s <= 1e-18) return false;
        (l[i] as Float64Array)[i] = Math.sqrt(s);
      } else (l[i] as Float64Array)[j] = s / ((l[j] as Float64Array)[j] as number);
    }
  }
  return true;
}
