// Socket errors of a connection to PostgreSQL that is refused, cut or never made.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE']);
// SQLSTATE class 08 (connection exception) and 57P0x (the server is shutting down or starting up).
const SQLSTATE = /^(08\d{3}|57P0[1-4])$/;
// What node-postgres itself says when it gives up on a connection.
const PG_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|the database system is (starting up|shutting down)|Client has encountered a connection error/;

/**
 * Whether an error means PostgreSQL could not be reached or dropped the connection, as opposed to
 * a failure of the query itself: the caller should answer "unavailable, retry", not "bug".
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATE.test(code))) return true;
  return PG_MESSAGES.test(error.message);
}
