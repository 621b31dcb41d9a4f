/**
 * Where a live client is in each symbol's stream. An event's SSE id carries every position of its
 * connection, so a client reconnecting with Last-Event-ID resumes every symbol at once.
 */
export type Positions = Record<string, string>;

/** Redis stream ids (`<ms>-<seq>`) in order. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

export const encodePositions = (positions: Positions): string => Buffer.from(JSON.stringify(positions)).toString('base64url');

/** The positions a Last-Event-ID names; undefined when it is not one this service sent. */
export function decodePositions(id: string | undefined): Positions | undefined {
  if (!id) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string' && /^\d+-\d+$/.test(v))) return value as Positions;
  } catch {
    // Not ours: treated as no id.
  }
  return undefined;
}
