import { Type, type Static } from 'typebox';

export const Strategy = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  spec: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Strategy = Static<typeof Strategy>;
