import { Type, type Static } from 'typebox';

/** Upper-case ticker: for parameters that carry symbols in another shape (a comma-separated list). */
export const SYMBOL_PATTERN = '^[A-Z0-9][A-Z0-9._^-]{0,31}$';

export const Symbol = Type.String({ pattern: SYMBOL_PATTERN, description: 'Upper-case ticker, e.g. SPX', examples: ['SPX'] });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);
export type Problem = Static<typeof Problem>;
