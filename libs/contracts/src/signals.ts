import { Type } from 'typebox';
import { Interval } from './bars.js';
import { Symbol } from './common.js';

const Instant = Type.String({ description: 'YYYY-MM-DD or an ISO 8601 date-time; without a zone it is UTC', examples: ['2020-01-02'] });
const Ts = Type.String({ format: 'date-time' });
const Nullable = (schema: ReturnType<typeof Type.Number>) => Type.Union([schema, Type.Null()]);

const Window = {
  symbol: Symbol,
  interval: Type.Optional(Interval),
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
};

/** Rule and indicator parameters travel as further query parameters (`fast=20&slow=50`). */
export const IndicatorQuery = Type.Object(Window, { additionalProperties: true });

export const IndicatorSeries = Type.Object({
  symbol: Symbol,
  interval: Interval,
  indicator: Type.String(),
  params: Type.Record(Type.String(), Type.Number()),
  warmupBars: Type.Integer({ description: 'Bars of history before the first value exists; values are null until then' }),
  ts: Type.Array(Ts, { description: 'Bar times, aligned with every output' }),
  values: Type.Record(Type.String(), Type.Array(Nullable(Type.Number())), { description: 'One array per output, aligned with ts' }),
});

export const IndicatorCatalogue = Type.Object({
  items: Type.Array(
    Type.Object({
      name: Type.String(),
      description: Type.String(),
      params: Type.Array(Type.Object({ name: Type.String(), default: Type.Number(), min: Type.Number(), max: Type.Number(), integer: Type.Boolean(), description: Type.String() })),
      outputs: Type.Array(Type.String()),
    }),
  ),
});

export const SignalsQuery = Type.Object({ ...Window, rule: Type.String({ description: 'Rule type, e.g. ma-cross; its parameters are further query parameters' }) }, { additionalProperties: true });

export const SignalEvent = Type.Object({
  ts: Ts,
  side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
  target: Type.Integer({ minimum: -1, maximum: 1, description: 'Position after the event: 1 long, 0 flat, -1 short' }),
  strength: Type.Number(),
  price: Type.Number({ description: 'Close of the bar that fired' }),
});

export const SignalsResult = Type.Object({
  symbol: Symbol,
  interval: Interval,
  rule: Type.Unknown({ description: 'The rule spec with every default filled in' }),
  ruleHash: Type.String({ description: 'Names the rule in stored events and in /v1/signals/latest' }),
  bars: Type.Integer({ description: 'Bars in the window' }),
  position: Type.Object({
    target: Type.Integer({ minimum: -1, maximum: 1, description: 'Target at the last bar of the window' }),
    since: Type.Union([Ts, Type.Null()], { description: 'When that target was set; null when flat since the start' }),
  }),
  events: Type.Array(SignalEvent),
});

export const EvaluateBody = Type.Object(
  { ...Window, rule: Type.Unknown({ description: 'A full rule spec, combinators (all/any) included' }) },
  { additionalProperties: false },
);

export const SeasonalityQuery = Type.Object({ ...Window, by: Type.Union([Type.Literal('month'), Type.Literal('weekday'), Type.Literal('doy')], { default: 'month' }) });

export const SeasonalityTable = Type.Object({
  symbol: Symbol,
  interval: Interval,
  by: Type.String(),
  buckets: Type.Array(
    Type.Object({
      bucket: Type.Integer(),
      label: Type.String(),
      count: Type.Integer(),
      mean: Nullable(Type.Number()),
      median: Nullable(Type.Number()),
      hitRatio: Nullable(Type.Number()),
      stdev: Nullable(Type.Number()),
      tStat: Nullable(Type.Number()),
    }),
  ),
});

export const BatchRequest = Type.Object(
  {
    symbols: Type.Array(Symbol, { minItems: 1, maxItems: 2000 }),
    rules: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 50, description: 'Rule specs' }),
    interval: Type.Optional(Interval),
  },
  { additionalProperties: false },
);

export const JobLinks = Type.Object({ self: Type.String(), events: Type.String() });

export const JobAccepted = Type.Object({ id: Type.String(), state: Type.String(), links: JobLinks });

export const JobStatus = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  state: Type.String({ description: 'waiting, active, completed or failed' }),
  progress: Type.Number({ minimum: 0, maximum: 100 }),
  counts: Type.Object({
    symbols: Type.Integer(),
    done: Type.Integer(),
    failed: Type.Integer(),
    rules: Type.Integer(),
    events: Type.Integer({ description: 'Signal events stored so far' }),
  }),
  errors: Type.Array(Type.Object({ symbol: Type.String(), message: Type.String() })),
  failedReason: Type.Union([Type.String(), Type.Null()]),
  links: Type.Object({ self: Type.String(), events: Type.String(), latest: Type.Array(Type.String()) }),
});

export const LatestQuery = Type.Object(
  {
    symbols: Type.String({ description: 'Comma-separated symbols, at most 500' }),
    rule: Type.Optional(Type.String({ description: 'Rule type, with its parameters as further query parameters' })),
    ruleHash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$', description: 'Or the rule as a batch job names it' })),
    interval: Type.Optional(Interval),
  },
  { additionalProperties: true },
);

export const LatestSignals = Type.Object({
  ruleHash: Type.String(),
  interval: Interval,
  items: Type.Array(Type.Object({ symbol: Symbol, signal: Type.Union([SignalEvent, Type.Null()]) })),
});
