import { Type, type Static } from 'typebox';
import { Symbol } from './common.js';
import { Interval } from './bars.js';

const Json = Type.Record(Type.String(), Type.Unknown());
const Day = Type.String({ description: 'ISO-8601 date or time, UTC', examples: ['2005-01-01'] });

export const RunState = Type.Enum(['queued', 'running', 'completed', 'failed', 'cancelled'] as const);

/** What to run: a saved strategy or a rule spec, on one symbol's bars. */
const Target = {
  strategyId: Type.Optional(Type.String({ format: 'uuid', description: "a saved strategy: its spec, settings and gates" })),
  spec: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'an inline rule spec, instead of strategyId' })),
  symbol: Symbol,
  interval: Type.Optional(Interval),
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  config: Type.Optional(Type.Object({}, { additionalProperties: true, description: "overrides of the strategy's backtest settings: capital, fees, slippageBps, sizing, direction, stopLoss, takeProfit, trailingStop, barsPerYear, riskFree" })),
};

export const BacktestRequest = Type.Object(Target, { additionalProperties: false });
export type BacktestRequest = Static<typeof BacktestRequest>;

export const Accepted = Type.Object({
  id: Type.String(),
  state: RunState,
  links: Json,
});

export const Backtest = Type.Object({
  id: Type.String(),
  state: RunState,
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  strategyId: Type.Union([Type.String(), Type.Null()]),
  symbol: Type.String(),
  interval: Type.String(),
  request: Json,
  metrics: Type.Union([Json, Type.Null()]),
  gates: Type.Union([Json, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  links: Json,
});
export type Backtest = Static<typeof Backtest>;

export const BacktestPage = Type.Object({ items: Type.Array(Backtest), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const Trade = Type.Object({
  seq: Type.Integer(),
  side: Type.String(),
  entryTime: Type.String({ format: 'date-time' }),
  entryPrice: Type.Number(),
  exitTime: Type.String({ format: 'date-time' }),
  exitPrice: Type.Number(),
  quantity: Type.Number(),
  pnl: Type.Number(),
  return: Type.Number(),
  barsHeld: Type.Integer(),
  fees: Type.Number(),
  exitReason: Type.String(),
});

export const TradePage = Type.Object({ items: Type.Array(Trade), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const EquityCurve = Type.Object({
  points: Type.Integer({ description: 'points returned' }),
  total: Type.Integer({ description: 'points in the full curve' }),
  ts: Type.Array(Type.String({ format: 'date-time' })),
  equity: Type.Array(Type.Number()),
  drawdown: Type.Array(Type.Number()),
});

const GridValues = Type.Union([
  Type.Array(Type.Union([Type.Number(), Type.String(), Type.Boolean()]), { minItems: 1, maxItems: 10_000, description: 'explicit values' }),
  Type.Object({ from: Type.Number(), to: Type.Number(), step: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false, description: 'an inclusive range' }),
]);

export const Objective = Type.Enum(['sharpe', 'cagr', 'calmar', 'sortino'] as const, { default: 'sharpe' });

const Study = {
  ...Target,
  grid: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.]{1,64}$' }), GridValues, {
    description: 'parameter paths into the rule spec and their values, e.g. { "fast": { "from": 5, "to": 50, "step": 5 }, "slow": [100, 150, 200] }',
  }),
  objective: Type.Optional(Objective),
  constraints: Type.Optional(
    Type.Object(
      {
        where: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 16, description: 'comparisons between parameters or numbers, e.g. "fast < slow"' })),
        minTrades: Type.Optional(Type.Integer({ minimum: 0, description: 'runs with fewer closed trades get no objective value' })),
      },
      { additionalProperties: false },
    ),
  ),
};

export const SweepRequest = Type.Object({ ...Study, top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })) }, { additionalProperties: false });
export type SweepRequest = Static<typeof SweepRequest>;

export const ValidationRequest = Type.Object(
  {
    ...Study,
    mode: Type.Optional(Type.Union([Type.Literal('rolling'), Type.Literal('anchored')], { default: 'rolling' })),
    inSample: Type.Integer({ minimum: 2, description: 'bars per in-sample window' }),
    outOfSample: Type.Integer({ minimum: 2, description: 'bars per out-of-sample window' }),
  },
  { additionalProperties: false },
);
export type ValidationRequest = Static<typeof ValidationRequest>;

export const StudyView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  state: RunState,
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  strategyId: Type.Union([Type.String(), Type.Null()]),
  request: Json,
  result: Type.Union([Json, Type.Null()]),
  gates: Type.Union([Json, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  links: Json,
});

export const PortfolioRequest = Type.Object(
  {
    symbols: Type.Array(Symbol, { minItems: 2, maxItems: 50, uniqueItems: true }),
    interval: Type.Optional(Interval),
    from: Type.Optional(Day),
    to: Type.Optional(Day),
    method: Type.Union([Type.Literal('min_variance'), Type.Literal('max_sharpe'), Type.Literal('risk_parity')]),
    caps: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1 }), Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0, maximum: 1 }))], { description: 'the largest weight: one for all, or per symbol' })),
    rebalance: Type.Optional(Type.Union([Type.Literal('monthly'), Type.Literal('quarterly')], { default: 'monthly' })),
    capital: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 100_000 })),
    riskFree: Type.Optional(Type.Number({ minimum: -1, maximum: 1, default: 0 })),
    barsPerYear: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 252 })),
  },
  { additionalProperties: false },
);
export type PortfolioRequest = Static<typeof PortfolioRequest>;

export const PortfolioResult = Type.Object({
  method: Type.String(),
  weights: Type.Record(Type.String(), Type.Number()),
  expectedReturn: Type.Number({ description: 'annualised' }),
  volatility: Type.Number({ description: 'annualised' }),
  bars: Type.Integer(),
  metrics: Json,
  equity: Type.Object({ ts: Type.Array(Type.String({ format: 'date-time' })), equity: Type.Array(Type.Number()) }),
});
