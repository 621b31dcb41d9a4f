/**
 * Keyset pagination: a page ends with a cursor naming its last row's sort key and id, and the
 * next page starts after that pair. Unlike OFFSET, the cost of a page does not grow with its
 * depth, and rows added meanwhile neither repeat nor vanish. The sort key travels as Postgres
 * printed it (`::text`), so timestamps keep their microseconds and floats every digit.
 */

/** A cursor that is not one this API handed out. */
export class CursorError extends Error {
  override name = 'CursorError';
}

export function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) return value as [string, string];
  } catch {
    // Reported below with the rest.
  }
  throw new CursorError('The cursor is not valid: pass the nextCursor of the previous page unchanged.');
}

export interface KeysetOrder {
  /** A column or an expression an index covers, e.g. `COALESCE(sharpe, '-Infinity')`. */
  expression: string;
  /** The SQL type the key is cast back to from the cursor. */
  type: 'timestamptz' | 'float8';
  order: 'asc' | 'desc';
  cursor?: string | undefined;
}

/**
 * The WHERE condition (or '') and ORDER BY for one page; `next` is the number of the first
 * unused bind parameter, `values` the ones the condition adds.
 */
export function keyset(sort: KeysetOrder, next: number): { condition: string; orderBy: string; values: string[] } {
  const direction = sort.order === 'asc' ? 'ASC' : 'DESC';
  const orderBy = `ORDER BY ${sort.expression} ${direction}, id ${direction}`;
  if (!sort.cursor) return { condition: '', orderBy, values: [] };
  const [key, id] = decodeCursor(sort.cursor);
  const op = sort.order === 'asc' ? '>' : '<';
  return { condition: `(${sort.expression}, id) ${op} ($${next}::${sort.type}, $${next + 1})`, orderBy, values: [key, id] };
}

/** The page and the cursor of the next one (null on the last page); rows carry their sort key as `sortKey`. */
export function pageOf<T extends { id: string; sortKey: string }>(rows: T[], limit: number): { items: Omit<T, 'sortKey'>[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return {
    items: page.map(({ sortKey: _sortKey, ...item }) => item),
    nextCursor: more && last ? encodeCursor(last.sortKey, last.id) : null,
  };
}
