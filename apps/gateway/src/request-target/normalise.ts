/** The one form of a request target that the gateway authenticates, authorises, limits and routes on. */
export type NormalisedTarget = { url: string } | { refused: string };

const HEX = /^[0-9A-Fa-f]{2}$/;
// RFC 3986 unreserved characters: their escapes mean the same as the characters themselves.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * Reduces every spelling of a path to one: an absolute-form target (`http://host/v1/x`) to its
 * path, escapes of unreserved characters (`%76`, `%6d`) to the characters, other escapes to upper
 * case, runs of slashes to one. Refuses what has no single meaning: an encoded slash or backslash,
 * a `.` or `..` segment (encoded or not), a malformed escape. The query is left as it is.
 */
export function normaliseTarget(target: string): NormalisedTarget {
  const absolute = ABSOLUTE_FORM.exec(target);
  let rest = absolute ? target.slice(absolute[0].length) || '/' : target;
  if (rest.startsWith('?')) rest = `/${rest}`;
  if (!rest.startsWith('/')) return { refused: 'the request target must be a path starting with /' };
  const queryAt = rest.indexOf('?');
  const rawPath = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rest.slice(queryAt);

  let path = '';
  for (let i = 0; i < rawPath.length; i++) {
    const char = rawPath[i] as string;
    if (char === '\\') return { refused: 'a backslash is not allowed in the path' };
    if (char !== '%') {
      path += char;
      continue;
    }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return { refused: 'the path has a malformed percent-escape' };
    const decoded = String.fromCharCode(Number.parseInt(hex, 16));
    if (decoded === '/' || decoded === '\\') return { refused: 'an encoded slash or backslash is not allowed in the path' };
    path += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  path = path.replace(/\/{2,}/g, '/');
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return { refused: 'dot segments (. and ..) are not allowed in the path' };
  return { url: path + query };
}
