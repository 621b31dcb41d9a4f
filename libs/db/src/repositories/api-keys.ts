import type pg from 'pg';

export type Scope = 'read' | 'write' | 'admin';

export interface ApiKeyRow {
  prefix: string;
  hash: Buffer;
  tenant: string;
  scopes: Scope[];
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = 'prefix, hash, tenant, scopes, name, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"';

/** API keys, stored as a SHA-256 hash only, found by their public prefix. */
export class ApiKeyRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(key: { prefix: string; hash: Buffer; tenant: string; scopes: Scope[]; name?: string | undefined }): Promise<ApiKeyRow> {
    const { rows } = await this.pool.query<ApiKeyRow>({
      name: 'api_keys.insert',
      text: `INSERT INTO api_keys (prefix, hash, tenant, scopes, name) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      values: [key.prefix, key.hash, key.tenant, key.scopes, key.name ?? null],
    });
    return rows[0] as ApiKeyRow;
  }

  async byPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    const { rows } = await this.pool.query<ApiKeyRow>({ name: 'api_keys.byPrefix', text: `SELECT ${COLUMNS} FROM api_keys WHERE prefix = $1`, values: [prefix] });
    return rows[0];
  }

  async list(tenant?: string): Promise<ApiKeyRow[]> {
    const { rows } = await this.pool.query<ApiKeyRow>({
      name: 'api_keys.list',
      text: `SELECT ${COLUMNS} FROM api_keys WHERE ($1::text IS NULL OR tenant = $1) ORDER BY tenant, created_at`,
      values: [tenant ?? null],
    });
    return rows;
  }

  /** True when the key existed and was active. */
  async revoke(prefix: string): Promise<boolean> {
    const { rowCount } = await this.pool.query({
      name: 'api_keys.revoke',
      text: 'UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL',
      values: [prefix],
    });
    return rowCount === 1;
  }

  async touch(prefixes: string[]): Promise<void> {
    if (prefixes.length === 0) return;
    await this.pool.query({ name: 'api_keys.touch', text: 'UPDATE api_keys SET last_used_at = now() WHERE prefix = ANY($1)', values: [prefixes] });
  }
}
