/**
 * Least-squares line through (t, v) points: v ≈ intercept + slope·t, with R² saying how much of
 * the variance the line explains (1: all, 0: none; 1 for a flat series that the line fits).
 */
export interface Trend {
  slope: number;
  intercept: number;
  r2: number;
  /** The value the line predicts at t. */
  at(t: number): number;
  /** When the line reaches `threshold` after `from`, or undefined if it never does moving forward. */
  reaches(threshold: number, from: number): number | undefined;
}

export function fitTrend(points: readonly { t: number; v: number }[]): Trend | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let st = 0;
  let sv = 0;
  for (const p of points) {
    st += p.t;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let stt = 0;
  let stv = 0;
  let svv = 0;
  for (const p of points) {
    stt += (p.t - mt) ** 2;
    stv += (p.t - mt) * (p.v - mv);
    svv += (p.v - mv) ** 2;
  }
  if (stt === 0) return undefined;
  const slope = stv / stt;
  const intercept = mv - slope * mt;
  const r2 = svv === 0 ? 1 : (stv * stv) / (stt * svv);
  const at = (t: number) => intercept + slope * t;
  return {
    slope,
    intercept,
    r2,
    at,
    reaches(threshold, from) {
      if (slope === 0) return undefined;
      const t = (threshold - intercept) / slope;
      return t >= from ? t : undefined;
    },
  };
}
