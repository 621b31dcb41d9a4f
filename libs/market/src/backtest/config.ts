/**
 * Backtest settings as JSON, validated by TypeBox with documented defaults.
 * Fees are charged on every fill: `rate` × notional + `fixed`. Slippage moves every fill price
 * against the trader by `slippageBps` (1 bp = 0.01 %). The risk-free rate is annual and is
 * spread evenly over the year's bars (rf / A per bar) for Sharpe and Sortino.
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { RuleSpecError } from '../rules/spec.js';

const Fraction = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 10, description });

export const Sizing = Type.Union(
  [
    Type.Object({ mode: Type.Literal('units'), units: Type.Number({ exclusiveMinimum: 0, description: 'fixed quantity per entry' }) }, { additionalProperties: false }),
    Type.Object({ mode: Type.Literal('value'), value: Type.Number({ exclusiveMinimum: 0, description: 'fixed notional per entry' }) }, { additionalProperties: false }),
    Type.Object(
      { mode: Type.Literal('percent'), percent: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'percent of equity per entry' }) },
      { additionalProperties: false },
    ),
  ],
  { default: { mode: 'percent', percent: 100 } },
);

export const BacktestConfigSchema = Type.Object(
  {
    capital: Type.Number({ exclusiveMinimum: 0, default: 100_000, description: 'starting cash' }),
    fees: Type.Object(
      {
        rate: Type.Number({ minimum: 0, maximum: 0.5, default: 0, description: 'fraction of notional per fill (0.001 = 0.1 %)' }),
        fixed: Type.Number({ minimum: 0, default: 0, description: 'currency per fill' }),
      },
      { additionalProperties: false, default: { rate: 0, fixed: 0 } },
    ),
    slippageBps: Type.Number({ minimum: 0, maximum: 10_000, default: 0, description: 'adverse price move per fill in basis points' }),
    sizing: Sizing,
    direction: Type.Union([Type.Literal('long-only'), Type.Literal('long-short')], { default: 'long-only' }),
    stopLoss: Type.Optional(Fraction('exit when price moves this fraction against the entry (0.05 = 5 %)')),
    takeProfit: Type.Optional(Fraction('exit when price moves this fraction in favour of the entry')),
    trailingStop: Type.Optional(Fraction('exit when price falls this fraction from the best price since entry')),
    barsPerYear: Type.Number({ exclusiveMinimum: 0, default: 252, description: 'A: 252 for daily equities, 365 for crypto, 252×390 for US minute bars' }),
    riskFree: Type.Number({ minimum: -1, maximum: 1, default: 0, description: 'annual risk-free rate (0.02 = 2 %)' }),
  },
  { additionalProperties: false },
);

export type BacktestConfig = Static<typeof BacktestConfigSchema>;
export type BacktestConfigInput = Partial<BacktestConfig>;

const check = Compile(BacktestConfigSchema);

/** Fills defaults and validates; throws RuleSpecError (the same shape as rule problems) on bad input. */
export function parseBacktestConfig(input: unknown = {}): BacktestConfig {
  const value = Value.Default(BacktestConfigSchema, structuredClone(input ?? {}));
  if (!check.Check(value)) {
    throw new RuleSpecError([...check.Errors(value)].map((error) => ({ path: `/config${error.instancePath}`, message: error.message })));
  }
  return value;
}
