/**
 * Gates: pass/fail criteria a strategy's results must meet before anyone trusts them. A gate
 * bounds one metric from below (`min`) or above (`max`), bounds included. No gate passes on a
 * small sample: with fewer than `minTrades` closed trades (default 30) every gate fails, and says
 * why. An undefined metric (null) fails its gate.
 */
import { Type, type Static } from 'typebox';
import type { Metrics } from './metrics.js';

export const GATE_METRICS = ['sharpe', 'sortino', 'cagr', 'calmar', 'maxDrawdown', 'totalReturn', 'annualVolatility', 'winRate', 'profitFactor', 'expectancy', 'sqn', 'exposure', 'tradeCount'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

export const GatesSchema = Type.Object(
  {
    minTrades: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 30, description: 'closed trades required before any gate can pass' }),
    criteria: Type.Array(
      Type.Object(
        {
          metric: Type.Enum(GATE_METRICS),
          min: Type.Optional(Type.Number({ description: 'the metric must be at least this' })),
          max: Type.Optional(Type.Number({ description: 'the metric must be at most this' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 32 },
    ),
  },
  { additionalProperties: false, description: 'Pass/fail criteria, e.g. { "criteria": [{ "metric": "sharpe", "min": 1 }, { "metric": "maxDrawdown", "max": 0.2 }] }' },
);
export type Gates = Static<typeof GatesSchema>;

export interface GateVerdict {
  metric: GateMetric;
  min?: number;
  max?: number;
  value: number | null;
  passed: boolean;
  reason?: string;
}

export interface GateReport {
  passed: boolean;
  tradeCount: number;
  minTrades: number;
  verdicts: GateVerdict[];
}

export function evaluateGates(gates: Gates, metrics: Metrics): GateReport {
  const minTrades = gates.minTrades ?? 30;
  const sampleTooSmall = metrics.tradeCount < minTrades;
  const verdicts = gates.criteria.map((criterion): GateVerdict => {
    const value = metrics[criterion.metric];
    const bounds = { ...(criterion.min === undefined ? {} : { min: criterion.min }), ...(criterion.max === undefined ? {} : { max: criterion.max }) };
    if (sampleTooSmall) return { metric: criterion.metric, ...bounds, value, passed: false, reason: `${metrics.tradeCount} closed trades; at least ${minTrades} are needed` };
    if (value === null) return { metric: criterion.metric, ...bounds, value, passed: false, reason: `${criterion.metric} is undefined for this run` };
    const passed = (criterion.min === undefined || value >= criterion.min) && (criterion.max === undefined || value <= criterion.max);
    return { metric: criterion.metric, ...bounds, value, passed };
  });
  return { passed: verdicts.every((v) => v.passed), tradeCount: metrics.tradeCount, minTrades, verdicts };
}
