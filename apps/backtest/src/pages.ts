import { CursorError } from '@meridian/db';
import { HttpProblem } from '@meridian/service';
import { Type } from 'typebox';

/** The query parameters every keyset-paged list takes. Defaults are Optional so OpenAPI does not call them required; validation fills them in. */
export const pageQuery = {
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'nextCursor of the previous page' })),
};

/** A cursor the client made up is a 400 that says what to send. */
export async function paged<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof CursorError) throw new HttpProblem(400, 'validation', error.message, { errors: [{ field: 'cursor', message: 'is not a cursor this API returned' }] });
    throw error;
  }
}
