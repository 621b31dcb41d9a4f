/**
 * ADX, +DI, −DI (Wilder), as in Achelis' companion spreadsheet and Tulip Indicators.
 * Directional movement and true range start at bar 1. Their first smoothed value is the sum of
 * bars 1..n−1 (at index n−1); after that Sₜ = Sₜ₋₁ − Sₜ₋₁/n + xₜ. DI = 100·S(DM)/S(TR),
 * DX = 100·|+DI − −DI| / (+DI + −DI), and ADX is Wilder's average of DX seeded with the mean of the
 * first n DX values, so its first value is at 2n−2. TA-Lib starts DI one bar later (index n) with
 * the same values from there on; its ADX seed differs and the two converge within a few dozen bars.
 */
import { nanArray } from '../series.js';
import { assertPeriod } from './moving-averages.js';

export interface DirectionalMovement {
  adx: Float64Array;
  plusDI: Float64Array;
  minusDI: Float64Array;
  dx: Float64Array;
}

export function adx(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period = 14): DirectionalMovement {
  assertPeriod('period', period, 2);
  const n = high.length;
  const plusDI = nanArray(n);
  const minusDI = nanArray(n);
  const dx = nanArray(n);
  const adxOut = nanArray(n);
  let plusSum = 0;
  let minusSum = 0;
  let trSum = 0;
  let dxSum = 0;
  let adxPrev = 0;
  const decay = 1 - 1 / period;
  for (let i = 1; i < n; i++) {
    const upMove = (high[i] as number) - (high[i - 1] as number);
    const downMove = (low[i - 1] as number) - (low[i] as number);
    const plusDM = upMove > downMove && upMove > 0 ? upMove : 0;
    const minusDM = downMove > upMove && downMove > 0 ? downMove : 0;
    const h = high[i] as number;
    const l = low[i] as number;
    const prevClose = close[i - 1] as number;
    const tr = Math.max(h - l, Math.abs(h - prevClose), Math.abs(l - prevClose));
    if (i < period) {
      plusSum += plusDM;
      minusSum += minusDM;
      trSum += tr;
      if (i < period - 1) continue;
    } else {
      plusSum = plusSum * decay + plusDM;
      minusSum = minusSum * decay + minusDM;
      trSum = trSum * decay + tr;
    }
    const pdi = trSum === 0 ? 0 : (100 * plusSum) / trSum;
    const mdi = trSum === 0 ? 0 : (100 * minusSum) / trSum;
    plusDI[i] = pdi;
    minusDI[i] = mdi;
    const d = pdi + mdi === 0 ? 0 : (100 * Math.abs(pdi - mdi)) / (pdi + mdi);
    dx[i] = d;
    const dxCount = i - (period - 1) + 1;
    if (dxCount < period) {
      dxSum += d;
    } else if (dxCount === period) {
      adxPrev = (dxSum + d) / period;
      adxOut[i] = adxPrev;
    } else {
      adxPrev = (adxPrev * (period - 1) + d) / period;
      adxOut[i] = adxPrev;
    }
  }
  return { adx: adxOut, plusDI, minusDI, dx };
}
