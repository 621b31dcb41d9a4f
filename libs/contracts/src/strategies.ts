import { Type, type Static } from 'typebox';

const Json = Type.Record(Type.String(), Type.Unknown());

export const Gate = Type.Object(
  {
    metric: Type.String({ description: 'sharpe, sortino, cagr, calmar, maxDrawdown, totalReturn, annualVolatility, winRate, profitFactor, expectancy, sqn, exposure or tradeCount' }),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

export const Gates = Type.Object(
  {
    minTrades: Type.Optional(Type.Integer({ minimum: 0, description: 'closed trades required before any gate can pass; default 30' })),
    criteria: Type.Array(Gate, { minItems: 1, maxItems: 32 }),
  },
  { additionalProperties: false, description: 'e.g. { "criteria": [{ "metric": "sharpe", "min": 1 }, { "metric": "maxDrawdown", "max": 0.2 }] }' },
);

export const NewStrategy = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    spec: Type.Object({}, { additionalProperties: true, description: 'A rule spec, e.g. { "type": "ma-cross", "fast": 20, "slow": 50 } (see docs/signals.md)' }),
    config: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Default backtest settings (see docs/backtests.md)' })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32, uniqueItems: true })),
    gates: Type.Optional(Type.Union([Gates, Type.Null()])),
  },
  { additionalProperties: false },
);
export type NewStrategy = Static<typeof NewStrategy>;

export const StrategyPatch = Type.Partial(NewStrategy, { additionalProperties: false, minProperties: 1 });

export const Strategy = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.String(),
  spec: Json,
  config: Json,
  tags: Type.Array(Type.String()),
  gates: Type.Union([Json, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Strategy = Static<typeof Strategy>;

export const StrategyPage = Type.Object({ items: Type.Array(Strategy), nextCursor: Type.Union([Type.String(), Type.Null()]) });
