/**
 * Covariance estimates over aligned return series (one array per asset, same length T).
 * Ledoit–Wolf shrinks the sample covariance S towards μ·I, μ = trace(S)/N, with the intensity
 * that minimises the expected Frobenius loss (Ledoit & Wolf 2004, "A well-conditioned estimator
 * for large-dimensional covariance matrices"; the same estimator as scikit-learn's LedoitWolf).
 * S here is the maximum-likelihood estimate (divide by T), as in that paper.
 */
export type Matrix = Float64Array[];

function checkAligned(returns: readonly ArrayLike<number>[]): { assets: number; t: number } {
  const assets = returns.length;
  if (assets === 0) throw new RangeError('at least one return series is needed');
  const t = (returns[0] as ArrayLike<number>).length;
  for (const [i, r] of returns.entries()) {
    if (r.length !== t) throw new RangeError(`return series ${i} has ${r.length} values, series 0 has ${t}`);
  }
  if (t < 2) throw new RangeError('at least two returns per series are needed');
  return { assets, t };
}

function centred(returns: readonly ArrayLike<number>[], t: number): Float64Array[] {
  return returns.map((r) => {
    let mean = 0;
    for (let k = 0; k < t; k++) mean += r[k] as number;
    mean /= t;
    const out = new Float64Array(t);
    for (let k = 0; k < t; k++) out[k] = (r[k] as number) - mean;
    return out;
  });
}

/** Sample covariance with divisor T − ddof. */
export function covariance(returns: readonly ArrayLike<number>[], ddof: 0 | 1 = 1): Matrix {
  const { assets, t } = checkAligned(returns);
  const x = centred(returns, t);
  const cov: Matrix = Array.from({ length: assets }, () => new Float64Array(assets));
  for (let i = 0; i < assets; i++) {
    for (let j = i; j < assets; j++) {
      const a = x[i] as Float64Array;
      const b = x[j] as Float64Array;
      let s = 0;
      for (let k = 0; k < t; k++) s += (a[k] as number) * (b[k] as number);
      const v = s / (t - ddof);
      (cov[i] as Float64Array)[j] = v;
      (cov[j] as Float64Array)[i] = v;
    }
  }
  return cov;
}

export interface Shrunk {
  covariance: Matrix;
  /** δ in [0, 1]: 0 keeps the sample covariance, 1 replaces it with μ·I. */
  shrinkage: number;
}

export function ledoitWolf(returns: readonly ArrayLike<number>[]): Shrunk {
  const { assets: p, t } = checkAligned(returns);
  const x = centred(returns, t);
  const s = covariance(returns, 0);
  let mu = 0;
  for (let i = 0; i < p; i++) mu += (s[i] as Float64Array)[i] as number;
  mu /= p;
  // d² = ‖S − μI‖²/p ; b̄² = (1/T²) Σₖ ‖xₖxₖᵀ − S‖²/p, capped at d².
  let d2 = 0;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      const v = ((s[i] as Float64Array)[j] as number) - (i === j ? mu : 0);
      d2 += v * v;
    }
  }
  d2 /= p;
  let b2 = 0;
  for (let k = 0; k < t; k++) {
    let norm = 0;
    for (let i = 0; i < p; i++) {
      const xi = (x[i] as Float64Array)[k] as number;
      for (let j = 0; j < p; j++) {
        const v = xi * ((x[j] as Float64Array)[k] as number) - ((s[i] as Float64Array)[j] as number);
        norm += v * v;
      }
    }
    b2 += norm / p;
  }
  b2 = Math.min(b2 / (t * t), d2);
  const shrinkage = d2 === 0 ? 0 : b2 / d2;
  const shrunk: Matrix = s.map((row, i) => row.map((v, j) => (1 - shrinkage) * v + (i === j ? shrinkage * mu : 0)));
  return { covariance: shrunk, shrinkage };
}
