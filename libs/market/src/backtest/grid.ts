/**
 * Parameter grids and walk-forward splits: pure functions that the backtest service uses to
 * distribute a sweep over workers.
 */

/** A parameter's values: an explicit list, or an inclusive numeric range. */
export type ParamValues = readonly (number | string | boolean)[] | { from: number; to: number; step: number };

export type ParamSet = Record<string, number | string | boolean>;

export const MAX_GRID = 100_000;

function valuesOf(name: string, values: ParamValues): (number | string | boolean)[] {
  if (Array.isArray(values)) {
    if (values.length === 0) throw new RangeError(`parameter "${name}" has no values`);
    return [...values];
  }
  const { from, to, step } = values as { from: number; to: number; step: number };
  if (!(step > 0) || !Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new RangeError(`parameter "${name}": a range needs from ≤ to and step > 0, got ${JSON.stringify(values)}`);
  }
  const out: number[] = [];
  // Counting steps rather than adding them keeps 0.1-steps from drifting (0.30000000000000004).
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  for (let k = 0; k < count; k++) out.push(Number((from + k * step).toPrecision(12)));
  return out;
}

/**
 * The cartesian product in a stable order: the first parameter varies slowest. `accept` filters
 * combinations that make no sense (e.g. fast ≥ slow) without counting them against the limit.
 */
export function expandGrid(grid: Record<string, ParamValues>, accept: (set: ParamSet) => boolean = () => true): ParamSet[] {
  const names = Object.keys(grid);
  const lists = names.map((name) => valuesOf(name, grid[name] as ParamValues));
  const total = lists.reduce((product, list) => product * list.length, 1);
  if (total > MAX_GRID) throw new RangeError(`the grid has ${total} combinations; at most ${MAX_GRID} are allowed`);
  const out: ParamSet[] = [];
  const index = new Array<number>(names.length).fill(0);
  for (let k = 0; k < total; k++) {
    const set: ParamSet = {};
    for (let p = 0; p < names.length; p++) set[names[p] as string] = (lists[p] as (number | string | boolean)[])[index[p] as number] as number | string | boolean;
    if (accept(set)) out.push(set);
    for (let p = names.length - 1; p >= 0; p--) {
      index[p] = (index[p] as number) + 1;
      if ((index[p] as number) < (lists[p] as unknown[]).length) break;
      index[p] = 0;
    }
  }
  return out;
}

export interface Range {
  /** Inclusive. */
  start: number;
  /** Exclusive. */
  end: number;
}

export interface WalkForwardSplit {
  inSample: Range;
  outOfSample: Range;
}

export interface WalkForwardOptions {
  inSample: number;
  outOfSample: number;
  /** anchored: every in-sample window starts at bar 0 and grows; rolling: it slides. */
  mode: 'rolling' | 'anchored';
  /** Bars between split starts; defaults to outOfSample so out-of-sample windows tile the data. */
  step?: number;
}

/** Splits `length` bars; out-of-sample windows never overlap their own in-sample window, and a split that does not fit is dropped. */
export function walkForward(length: number, options: WalkForwardOptions): WalkForwardSplit[] {
  const { inSample, outOfSample, mode } = options;
  const step = options.step ?? outOfSample;
  for (const [name, value] of [['inSample', inSample], ['outOfSample', outOfSample], ['step', step]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const splits: WalkForwardSplit[] = [];
  for (let start = 0; start + inSample + outOfSample <= length; start += step) {
    const isEnd = start + inSample;
    splits.push({ inSample: { start: mode === 'anchored' ? 0 : start, end: isEnd }, outOfSample: { start: isEnd, end: isEnd + outOfSample } });
  }
  return splits;
}
