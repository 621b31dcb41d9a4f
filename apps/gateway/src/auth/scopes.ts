import type { Scope } from '@meridian/db';

/** GETs read; anything else writes or submits a job; changing the monitor is for admins. */
export function requiredScope(method: string, url: string): Scope {
  const reads = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  if (url.startsWith('/v1/monitor')) return reads ? 'read' : 'admin';
  return reads ? 'read' : 'write';
}

export const ALL_SCOPES: readonly Scope[] = ['read', 'write', 'admin'];
