import type pg from 'pg';

export interface StrategyRow {
  id: string;
  tenant: string;
  name: string;
  spec: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = 'id, tenant, name, spec, created_at AS "createdAt", updated_at AS "updatedAt"';

/** Strategies are per tenant: every query is scoped by it. */
export class StrategyRepository {
  constructor(
    private readonly write: pg.Pool,
    private readonly read: pg.Pool,
  ) {}

  async create(tenant: string, name: string, spec: Record<string, unknown>): Promise<StrategyRow | undefined> {
    const { rows } = await this.write.query<StrategyRow>({
      name: 'strategies.create',
      text: `INSERT INTO strategies (tenant, name, spec) VALUES ($1, $2, $3) ON CONFLICT (tenant, name) DO NOTHING RETURNING ${COLUMNS}`,
      values: [tenant, name, spec],
    });
    return rows[0];
  }

  async list(tenant: string, limit: number): Promise<StrategyRow[]> {
    const { rows } = await this.read.query<StrategyRow>({
      name: 'strategies.list',
      text: `SELECT ${COLUMNS} FROM strategies WHERE tenant = $1 ORDER BY name LIMIT $2`,
      values: [tenant, limit],
    });
    return rows;
  }
}
