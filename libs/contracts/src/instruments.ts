import { Type, type Static } from 'typebox';
import { Symbol } from './common.js';

export const AssetClass = Type.Union(['equity', 'index', 'etf', 'future', 'fx', 'crypto', 'bond', 'commodity'].map((c) => Type.Literal(c)));

export const NewInstrument = Type.Object(
  {
    symbol: Symbol,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    assetClass: Type.Optional(AssetClass),
    exchange: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  },
  { additionalProperties: false },
);
export type NewInstrument = Static<typeof NewInstrument>;

export const Instrument = Type.Object({
  symbol: Symbol,
  name: Type.String(),
  assetClass: Type.String(),
  exchange: Type.Union([Type.String(), Type.Null()]),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Instrument = Static<typeof Instrument>;
