import { type Interval, type StrategyRepository, type StrategyRow } from '@meridian/db';
import {
  expandGrid,
  GatesSchema,
  MAX_GRID,
  parseBacktestConfig,
  parseRuleSpec,
  RuleSpecError,
  warmupBars,
  type BacktestConfig,
  type Gates,
  type ParamSet,
  type ParamValues,
  type RuleSpec,
} from '@meridian/market';
import { HttpProblem } from '@meridian/service';
import { Compile } from 'typebox/compile';
import type { BarSource } from './bars.js';

/** A RuleSpecError (rule, settings) as a 400 naming each field under `at`. */
export function invalid(error: unknown, at: string, what: string): never {
  if (!(error instanceof RuleSpecError)) throw error;
  throw new HttpProblem(400, 'validation', `Invalid ${what}: ${error.message}`, {
    errors: error.problems.map((p) => ({ field: `${at}${p.path.replace(/^\/config/, '').replaceAll('/', '.')}`, message: p.message })),
  });
}

export function parseSpec(input: unknown, at = 'spec'): RuleSpec {
  try {
    return parseRuleSpec(input);
  } catch (error) {
    return invalid(error, at, 'rule spec');
  }
}

export function parseConfig(input: unknown, at = 'config'): BacktestConfig {
  try {
    return parseBacktestConfig(input);
  } catch (error) {
    return invalid(error, at, 'backtest settings');
  }
}

const checkGates = Compile(GatesSchema);

export function parseGates(input: unknown): Gates | null {
  if (input === null || input === undefined) return null;
  const withDefault = { minTrades: 30, ...(input as object) };
  if (!checkGates.Check(withDefault)) {
    const errors = [...checkGates.Errors(withDefault)].map((e) => ({ field: `gates${e.instancePath.replaceAll('/', '.')}`, message: e.message }));
    throw new HttpProblem(400, 'validation', `Invalid gates: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, { errors });
  }
  return withDefault;
}

/** An ISO date or time (a bare date is midnight UTC) as epoch ms; 400 naming the field when it is not one. */
export function time(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new HttpProblem(400, 'validation', `${field} is not a date: "${value}". Use ISO-8601, e.g. 2005-01-01.`, { errors: [{ field, message: 'is not a date' }] });
  return ms;
}

export interface TargetInput {
  strategyId?: string | undefined;
  spec?: Record<string, unknown> | undefined;
  symbol: string;
  interval?: Interval | undefined;
  from?: string | undefined;
  to?: string | undefined;
  config?: Record<string, unknown> | undefined;
}

/** What a run is, normalised: equal requests give equal targets whatever their spelling. */
export interface Target {
  strategyId: string | null;
  /** The spec as sent or saved (a grid sets its paths before validation). */
  rawSpec: Record<string, unknown>;
  config: BacktestConfig;
  symbol: string;
  interval: Interval;
  from: number | null;
  to: number | null;
}

export interface ResolveDeps {
  strategies: StrategyRepository;
  bars: BarSource;
}

/**
 * Checks everything a job would trip on before it is queued: the strategy (another tenant's is
 * 404), the spec and settings, the symbol, and the range's bars against the rule's warm-up. A
 * sweep's base spec must be valid too; each of its parameter sets is checked as it runs.
 */
export async function resolveTarget(deps: ResolveDeps, tenant: string, input: TargetInput): Promise<{ target: Target; spec: RuleSpec; strategy: StrategyRow | undefined; bars: number }> {
  if ((input.strategyId === undefined) === (input.spec === undefined)) {
    throw new HttpProblem(400, 'validation', 'Send either strategyId (a saved strategy) or spec (a rule spec), not both and not neither.', { errors: [{ field: 'strategyId', message: 'or spec is required' }] });
  }
  let strategy: StrategyRow | undefined;
  if (input.strategyId !== undefined) {
    strategy = await deps.strategies.get(tenant, input.strategyId);
    if (!strategy) throw new HttpProblem(404, 'not-found', `No strategy ${input.strategyId}.`);
  }
  const rawSpec = strategy?.spec ?? (input.spec as Record<string, unknown>);
  const spec = parseSpec(rawSpec);
  const config = parseConfig({ ...(strategy?.config ?? {}), ...(input.config ?? {}) });
  const interval = input.interval ?? '1d';
  const from = time(input.from, 'from');
  const to = time(input.to, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new HttpProblem(400, 'validation', `The range is empty: from (${input.from}) is after to (${input.to}).`, { errors: [{ field: 'from', message: 'is after to' }] });
  const instrumentId = await deps.bars.instrumentId(input.symbol);
  if (instrumentId === undefined) throw new HttpProblem(400, 'validation', `No instrument ${input.symbol}. List them with GET /v1/instruments.`, { errors: [{ field: 'symbol', message: 'is not a known instrument' }] });
  const bars = await deps.bars.count(instrumentId, { symbol: input.symbol, interval, from, to });
  if (bars === 0) throw new HttpProblem(400, 'validation', `${input.symbol} has no ${interval} bars in the range. Check from, to and interval, or upload bars first.`, { errors: [{ field: 'from', message: 'the range holds no bars' }] });
  const warmup = warmupBars(spec, config.barsPerYear);
  if (bars <= warmup) {
    throw new HttpProblem(400, 'validation', `${input.symbol} has ${bars} ${interval} bars in the range, but the rule needs ${warmup} before it can trade. Widen the range or shorten the rule's periods.`, {
      errors: [{ field: 'from', message: `the range holds ${bars} bars; the rule's warm-up is ${warmup}` }],
    });
  }
  const target: Target = { strategyId: strategy?.id ?? null, rawSpec, config, symbol: input.symbol, interval, from: from ?? null, to: to ?? null };
  return { target, spec, strategy, bars };
}

const COMPARISON = /^\s*([A-Za-z_][\w.]*|-?\d+(?:\.\d+)?)\s*(<=|>=|<|>|==|!=)\s*([A-Za-z_][\w.]*|-?\d+(?:\.\d+)?)\s*$/;
const OPERATORS: Record<string, (a: number, b: number) => boolean> = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '==': (a, b) => a === b, '!=': (a, b) => a !== b };

/** `fast < slow`, `period >= 10`: a filter over parameter sets; a name must be a grid parameter. */
export function parseConstraint(text: string, names: readonly string[], index: number): (set: ParamSet) => boolean {
  const match = COMPARISON.exec(text);
  const field = `constraints.where.${index}`;
  if (!match) throw new HttpProblem(400, 'validation', `Constraint "${text}" is not a comparison like "fast < slow".`, { errors: [{ field, message: 'is not a comparison' }] });
  const [, left, op, right] = match as unknown as [string, string, string, string];
  const operand = (token: string): ((set: ParamSet) => number) => {
    if (/^-?\d/.test(token)) return () => Number(token);
    if (!names.includes(token)) throw new HttpProblem(400, 'validation', `Constraint "${text}" names "${token}", which is not in the grid (${names.join(', ')}).`, { errors: [{ field, message: `unknown parameter ${token}` }] });
    return (set) => Number(set[token]);
  };
  const [a, b, compare] = [operand(left), operand(right), OPERATORS[op] as (a: number, b: number) => boolean];
  return (set) => compare(a(set), b(set));
}

/** The grid's parameter sets after the constraints; 400 when it is empty, too large or repeats a value. */
export function gridSets(grid: Record<string, ParamValues>, where: readonly string[] = []): ParamSet[] {
  const names = Object.keys(grid);
  if (names.length === 0) throw new HttpProblem(400, 'validation', 'The grid names no parameter.', { errors: [{ field: 'grid', message: 'is empty' }] });
  for (const [name, values] of Object.entries(grid)) {
    if (Array.isArray(values) && new Set(values).size !== values.length) {
      throw new HttpProblem(400, 'validation', `grid.${name} repeats a value. A list holds distinct values; for a range send { "from": 5, "to": 50, "step": 5 }.`, { errors: [{ field: `grid.${name}`, message: 'repeats a value' }] });
    }
  }
  const filters = where.map((text, i) => parseConstraint(text, names, i));
  let sets: ParamSet[];
  try {
    sets = expandGrid(grid, (set) => filters.every((accept) => accept(set)));
  } catch (error) {
    throw new HttpProblem(400, 'validation', `Invalid grid: ${(error as Error).message}.`, { errors: [{ field: 'grid', message: (error as Error).message }] });
  }
  if (sets.length === 0) throw new HttpProblem(400, 'validation', 'No parameter set satisfies the constraints.', { errors: [{ field: 'constraints.where', message: 'leaves no parameter set' }] });
  if (sets.length > MAX_GRID) throw new HttpProblem(400, 'validation', `The grid has ${sets.length} sets; at most ${MAX_GRID} are allowed.`);
  return sets;
}
