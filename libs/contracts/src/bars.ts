import { Type, type Static } from 'typebox';
import { Problem, Symbol } from './common.js';

export const Interval = Type.Union([
  Type.Literal('1m'), Type.Literal('5m'), Type.Literal('15m'), Type.Literal('30m'), Type.Literal('1h'),
  Type.Literal('4h'), Type.Literal('1d'), Type.Literal('1w'), Type.Literal('1mo'),
], {
  description: 'Bar length: minutes (m), hours (h), days (d), weeks (w), months (mo)',
});

const Instant = Type.String({
  description: 'YYYY-MM-DD or an ISO 8601 date-time; without a zone it is UTC',
  examples: ['2020-01-02'],
});

export const Bar = Type.Object({
  ts: Type.String({ format: 'date-time', description: 'Start of the bar, UTC' }),
  open: Type.Number(),
  high: Type.Number(),
  low: Type.Number(),
  close: Type.Number(),
  volume: Type.Union([Type.Number(), Type.Null()]),
});
export type Bar = Static<typeof Bar>;

export const BarSeriesQuery = Type.Object({
  symbol: Symbol,
  interval: Type.Optional(Interval),
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
});

export const BarPageQuery = Type.Object({
  ...BarSeriesQuery.properties,
  // Optional with a default: the document says it may be left out, and validation fills it in.
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
  cursor: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,16}$', description: 'The `next` of the previous page' })),
});

export const BarPage = Type.Object({
  symbol: Symbol,
  interval: Interval,
  items: Type.Array(Bar),
  rollupAsOf: Type.Optional(
    Type.String({ format: 'date-time', description: 'Present when the bars are rolled up from finer ones: every upload committed before this time is in them (the time of the request when none is pending).' }),
  ),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last' }),
});

export const IngestQuery = Type.Object({
  symbol: Symbol,
  interval: Type.Optional(Interval),
});

export const IngestResult = Type.Object({
  symbol: Symbol,
  interval: Interval,
  rows: Type.Integer({ description: 'Data lines in the file' }),
  inserted: Type.Integer(),
  updated: Type.Integer({ description: 'Bars that existed with other values, now overwritten' }),
  unchanged: Type.Integer({ description: 'Bars that existed with the same values' }),
  rejected: Type.Integer({ description: 'Always 0 here: a file with a bad line is refused whole (400)' }),
});

export const BarsRejected = Type.Object(
  {
    ...Problem.properties,
    rows: Type.Integer({ description: 'Valid data lines in the file' }),
    rejected: Type.Integer({ description: 'Invalid lines in the file' }),
    rejections: Type.Array(Type.Object({ line: Type.Integer({ description: '1-based, header included' }), reason: Type.String() }), {
      description: 'The first 20 invalid lines',
    }),
  },
  { description: 'The file was refused whole: nothing was stored' },
);
