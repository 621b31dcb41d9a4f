import { describe, expect, it } from 'vitest';
import { equalRiskContribution, evaluateGates, maximumSharpe, minimumVariance, riskContributions, toNullable, toSeries, type Matrix, type Metrics } from '../src/index.js';

const matrix = (rows: number[][]): Matrix => rows.map((r) => Float64Array.from(r));
const diagonal = (values: number[]): Matrix => matrix(values.map((v, i) => values.map((_, j) => (i === j ? v : 0))));

describe('portfolio weights refuse what has no answer', () => {
  it('an empty or non-square covariance matrix', () => {
    for (const solve of [minimumVariance, equalRiskContribution, (cov: Matrix) => maximumSharpe([0.1], cov)]) {
      expect(() => solve([])).toThrow(new RangeError('the covariance matrix is empty'));
      expect(() => solve(matrix([[1, 0], [0]]))).toThrow(new RangeError('the covariance matrix must be square'));
    }
  });

  it('caps that are not positive, or that cannot add up to 1', () => {
    const cov = diagonal([0.01, 0.04, 0.09]);
    expect(() => minimumVariance(cov, { caps: 0 })).toThrow(new RangeError('caps must be positive, got 0'));
    expect(() => minimumVariance(cov, { caps: [0.5, -0.1, 1] })).toThrow(new RangeError('caps must be positive, got -0.1'));
    expect(() => minimumVariance(cov, { caps: Number.NaN })).toThrow(/caps must be positive, got NaN/);
    expect(() => maximumSharpe([0.1, 0.1, 0.1], cov, 0, { caps: 0.3 })).toThrow(new RangeError('caps add up to 0.9: weights cannot sum to 1'));
  });

  it('takes caps that add up to exactly 1, and a cap of 1 for assets a short list leaves out', () => {
    const cov = diagonal([0.01, 0.04, 0.09]);
    expect([...minimumVariance(cov, { caps: [0.5, 0.25, 0.25] })].map((w) => Math.round(w * 1e9) / 1e9)).toEqual([0.5, 0.25, 0.25]);
    const partial = minimumVariance(cov, { caps: [0.1, 0.1] });
    expect(partial[0]).toBeCloseTo(0.1, 9);
    expect(partial[1]).toBeCloseTo(0.1, 9);
    expect(partial[2]).toBeCloseTo(0.8, 9);
  });

  it('expected returns of another length than the matrix', () => {
    expect(() => maximumSharpe([0.1, 0.2], diagonal([0.01, 0.04, 0.09]))).toThrow(new RangeError('2 expected returns for 3 assets'));
  });

  it('a return equal to the risk-free rate is not above it', () => {
    expect(() => maximumSharpe([0.02, 0.02], diagonal([0.01, 0.04]), 0.02)).toThrow(/no asset is expected to earn more than the risk-free rate/);
    const w = maximumSharpe([0.02, 0.03], diagonal([0.01, 0.04]), 0.02);
    expect(w[1]).toBeCloseTo(1, 6);
  });

  it('equal risk contribution with an asset of zero variance', () => {
    expect(() => equalRiskContribution(diagonal([0.01, 0]))).toThrow(new RangeError('asset 1 has zero variance: its risk contribution cannot be set'));
  });
});

describe('portfolio weights before and after the first step', () => {
  const cov = matrix([[0.04, 0.01, 0], [0.01, 0.09, 0.02], [0, 0.02, 0.16]]);

  it('start from equal weights (inverse volatility for equal risk) and move from there', () => {
    const equal = [1 / 3, 1 / 3, 1 / 3];
    [...minimumVariance(cov, { maxIterations: 0 })].forEach((w, i) => expect(w).toBeCloseTo(equal[i] as number, 12));
    [...maximumSharpe([0.1, 0.1, 0.1], cov, 0, { maxIterations: 0 })].forEach((w, i) => expect(w).toBeCloseTo(equal[i] as number, 12));
    const inverseVol = [1 / 0.2, 1 / 0.3, 1 / 0.4];
    const total = inverseVol.reduce((a, b) => a + b, 0);
    [...equalRiskContribution(cov, { maxIterations: 0 })].forEach((w, i) => expect(w).toBeCloseTo((inverseVol[i] as number) / total, 12));
    const one = minimumVariance(cov, { maxIterations: 1 });
    expect(one[0]).toBeGreaterThan(1 / 3);
    expect(one[2]).toBeLessThan(1 / 3);
    expect(minimumVariance(cov, { maxIterations: 2 })[0]).toBeGreaterThan(one[0] as number);
  });

  it('converge to weights whose risk contributions are equal, or whose variance is least', () => {
    const erc = equalRiskContribution(cov);
    const contributions = riskContributions(cov, erc);
    for (const c of contributions) expect(c).toBeCloseTo(1 / 3, 9);
    expect(contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const w = minimumVariance(cov);
    const variance = (x: ArrayLike<number>) => {
      let v = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) v += (x[i] as number) * (x[j] as number) * ((cov[i] as Float64Array)[j] as number);
      return v;
    };
    // Any small move along the simplex raises the variance.
    for (const [a, b] of [[0, 1], [1, 2], [0, 2]] as const) {
      const moved = Float64Array.from(w);
      moved[a] = (moved[a] as number) + 1e-3;
      moved[b] = (moved[b] as number) - 1e-3;
      expect(variance(moved)).toBeGreaterThan(variance(w));
    }
  });

  it('give the same weights for a covariance matrix a thousand times larger (the step follows its scale)', () => {
    const large = cov.map((row) => row.map((v) => v * 1000));
    const small = minimumVariance(cov);
    minimumVariance(large).forEach((w, i) => expect(w).toBeCloseTo(small[i] as number, 8));
    const tiny = cov.map((row) => row.map((v) => v / 1000));
    minimumVariance(tiny).forEach((w, i) => expect(w).toBeCloseTo(small[i] as number, 8));
    const sharpe = maximumSharpe([0.06, 0.1, 0.12], cov, 0.01);
    maximumSharpe([0.06, 0.1, 0.12], large, 0.01).forEach((w, i) => expect(w).toBeCloseTo(sharpe[i] as number, 6));
  });

  it('maximum Sharpe stops at the best ratio it can reach, better than any corner', () => {
    const mean = [0.06, 0.1, 0.12];
    const w = maximumSharpe(mean, cov, 0.01);
    const sharpe = (x: ArrayLike<number>) => {
      let m = 0;
      let v = 0;
      for (let i = 0; i < 3; i++) {
        m += (x[i] as number) * (mean[i] as number);
        for (let j = 0; j < 3; j++) v += (x[i] as number) * (x[j] as number) * ((cov[i] as Float64Array)[j] as number);
      }
      return (m - 0.01) / Math.sqrt(v);
    };
    for (const corner of [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3]]) expect(sharpe(w)).toBeGreaterThan(sharpe(corner));
    for (const [a, b] of [[0, 1], [1, 2], [0, 2], [1, 0], [2, 1], [2, 0]] as const) {
      const moved = Float64Array.from(w);
      if ((moved[b] as number) < 1e-3) continue;
      moved[a] = (moved[a] as number) + 1e-3;
      moved[b] = (moved[b] as number) - 1e-3;
      expect(sharpe(moved)).toBeLessThanOrEqual(sharpe(w) + 1e-12);
    }
  });
});

describe('gates', () => {
  const metrics = (tradeCount: number, more: Partial<Record<keyof Metrics, number | null>> = {}) => ({ sharpe: 1, maxDrawdown: 0.2, tradeCount, ...more }) as unknown as Metrics;

  it('need 30 trades unless told otherwise, and pass at exactly the minimum', () => {
    const criteria = [{ metric: 'sharpe' as const, min: 0 }];
    expect(evaluateGates({ criteria } as never, metrics(29))).toMatchObject({ passed: false, minTrades: 30, tradeCount: 29 });
    expect(evaluateGates({ criteria } as never, metrics(30))).toMatchObject({ passed: true, minTrades: 30 });
    expect(evaluateGates({ minTrades: 5, criteria }, metrics(5)).passed).toBe(true);
  });

  it('include both bounds, and echo only the bounds a criterion has', () => {
    const report = evaluateGates({ minTrades: 0, criteria: [{ metric: 'sharpe', min: 1 }, { metric: 'maxDrawdown', max: 0.2 }, { metric: 'sharpe', min: 0.5, max: 1 }, { metric: 'sharpe', max: 0.99 }] }, metrics(10));
    expect(report.verdicts).toEqual([
      { metric: 'sharpe', min: 1, value: 1, passed: true },
      { metric: 'maxDrawdown', max: 0.2, value: 0.2, passed: true },
      { metric: 'sharpe', min: 0.5, max: 1, value: 1, passed: true },
      { metric: 'sharpe', max: 0.99, value: 1, passed: false },
    ]);
    expect(report.passed).toBe(false);
    expect(evaluateGates({ minTrades: 0, criteria: [{ metric: 'sharpe', min: 1.01 }] }, metrics(10)).passed).toBe(false);
    expect(evaluateGates({ minTrades: 0, criteria: [{ metric: 'sharpe', min: 1 }, { metric: 'maxDrawdown', max: 0.3 }] }, metrics(10)).passed).toBe(true);
  });

  it('echo the bounds on a failure for want of trades, too', () => {
    expect(evaluateGates({ minTrades: 3, criteria: [{ metric: 'sharpe', min: 1, max: 2 }] }, metrics(1)).verdicts).toEqual([
      { metric: 'sharpe', min: 1, max: 2, value: 1, passed: false, reason: '1 closed trades; at least 3 are needed' },
    ]);
  });
});

describe('series from rows', () => {
  it('takes timestamps as dates, ISO strings or epoch ms, and a missing volume as NaN', () => {
    const series = toSeries([
      { ts: new Date('2020-01-02T00:00:00Z'), open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
      { ts: '2020-01-03T00:00:00Z', open: 2, high: 3, low: 1, close: 2.5, volume: null },
      { ts: Date.UTC(2020, 0, 4), open: 3, high: 4, low: 2, close: 3.5 },
    ]);
    expect([...series.ts]).toEqual([Date.UTC(2020, 0, 2), Date.UTC(2020, 0, 3), Date.UTC(2020, 0, 4)]);
    expect([...series.open]).toEqual([1, 2, 3]);
    expect([...series.high]).toEqual([2, 3, 4]);
    expect([...series.low]).toEqual([0.5, 1, 2]);
    expect([...series.close]).toEqual([1.5, 2.5, 3.5]);
    expect([...series.volume]).toEqual([10, Number.NaN, Number.NaN]);
    expect(toSeries([]).close).toHaveLength(0);
  });

  it('puts null on the wire for what is not a finite number', () => {
    expect(toNullable(Float64Array.from([1, Number.NaN, Number.POSITIVE_INFINITY, -2]))).toEqual([1, null, null, -2]);
  });
});
