import type { Scope } from '@meridian/db';

// Shared by every tenant: changing them is for admins. Matched on the normalised path.
const ADMIN_WRITES = /^\/v1\/(monitor|instruments|bars)(\/|\?|;|$)/;

/**
 * GETs read; anything else writes or submits a job. Changing what every tenant shares (the
 * monitor, instruments, uploaded bars) is for admins. `url` is the normalised target.
 */
export function requiredScope(method: string, url: string): Scope {
  const reads = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  // A link grants only what its maker may read.
  if (reads || /^\/v1\/links(\?|$)/.test(url)) return 'read';
  return ADMIN_WRITES.test(url) ? 'admin' : 'write';
}

export const ALL_SCOPES: readonly Scope[] = ['read', 'write', 'admin'];
