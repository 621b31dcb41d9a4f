import type { Service } from '@meridian/service';
import { signedRequest } from '@meridian/service/testing';
import { type BarLike, toSeries } from '@meridian/market';

/** A bar as the API answers it. */
export interface WireBar {
  ts: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

export interface DailyBar extends BarLike {
  ts: number;
}

/** Deterministic daily bars, weekdays only, with trends and reversals so rules fire both ways. */
export function dailyBars(count: number, seed = 1, start = Date.UTC(2015, 0, 1)): DailyBar[] {
  const out: DailyBar[] = [];
  let price = 100 + seed;
  for (let day = 0; out.length < count; day++) {
    const ts = start + day * 86_400_000;
    const weekday = new Date(ts).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const open = price;
    price = Math.max(1, price * (1 + Math.sin((day + seed * 7) / 9) * 0.012 + Math.cos(day / 2.3) * 0.006));
    out.push({ ts, open, high: Math.max(open, price) * 1.004, low: Math.min(open, price) * 0.996, close: price, volume: 1_000 + ((day * 37) % 500) });
  }
  return out;
}

export function csvOf(bars: readonly DailyBar[]): string {
  return `date,open,high,low,close,volume\n${bars.map((b) => `${new Date(b.ts).toISOString().slice(0, 10)},${b.open},${b.high},${b.low},${b.close},${b.volume}`).join('\n')}\n`;
}

export const seriesOf = (bars: readonly DailyBar[]) => toSeries(bars);

/** Calls the service as the gateway would, with the signed internal header. */
export function caller(app: Service) {
  return (method: 'GET' | 'POST', url: string, options: { payload?: string | object; headers?: Record<string, string> } = {}) =>
    app.inject(signedRequest(app.config, method, url, options));
}

export async function loadSymbol(app: Service, symbol: string, bars: readonly DailyBar[]): Promise<void> {
  const call = caller(app);
  await call('POST', '/v1/instruments', { payload: { symbol, name: symbol } });
  const res = await call('POST', `/v1/bars?symbol=${symbol}`, { payload: csvOf(bars), headers: { 'content-type': 'text/csv' } });
  if (res.statusCode !== 200) throw new Error(`upload of ${symbol} failed: ${res.statusCode} ${res.body}`);
}

export const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
