import type pg from 'pg';
import { keyset, pageOf } from '../keyset.js';

export interface StrategyFields {
  name: string;
  description: string;
  spec: Record<string, unknown>;
  /** Default backtest settings; a backtest's own overrides win. */
  config: Record<string, unknown>;
  tags: string[];
  /** Pass/fail criteria on metrics, or null for none. */
  gates: Record<string, unknown> | null;
}

export interface StrategyRow extends StrategyFields {
  id: string;
  tenant: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface StrategyQuery {
  /** Case-insensitive substring of the name. */
  name?: string | undefined;
  tag?: string | undefined;
  sort: 'created' | 'updated';
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string | undefined;
}

export type DeleteOutcome = 'deleted' | 'not-found' | 'has-results';

const COLUMNS = 'id, tenant, name, description, spec, config, tags, gates, created_at AS "createdAt", updated_at AS "updatedAt"';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Strategies are per tenant: every query is scoped by it, and another tenant's id finds nothing. */
export class StrategyRepository {
  constructor(
    private readonly write: pg.Pool,
    private readonly read: pg.Pool,
  ) {}

  /** Undefined when the tenant already has a strategy of that name. */
  async create(tenant: string, fields: StrategyFields): Promise<StrategyRow | undefined> {
    const { rows } = await this.write.query<StrategyRow>({
      name: 'strategies.create',
      text: `INSERT INTO strategies (tenant, name, description, spec, config, tags, gates) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant, name) DO NOTHING RETURNING ${COLUMNS}`,
      values: [tenant, fields.name, fields.description, fields.spec, fields.config, fields.tags, fields.gates],
    });
    return rows[0];
  }

  /** From the write pool: a strategy just saved is found at once. */
  async get(tenant: string, id: string): Promise<StrategyRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await this.write.query<StrategyRow>({ name: 'strategies.get', text: `SELECT ${COLUMNS} FROM strategies WHERE tenant = $1 AND id = $2`, values: [tenant, id] });
    return rows[0];
  }

  async list(tenant: string, query: StrategyQuery): Promise<{ items: StrategyRow[]; nextCursor: string | null }> {
    const column = query.sort === 'created' ? 'created_at' : 'updated_at';
    const values: unknown[] = [tenant];
    const conditions = ['tenant = $1'];
    if (query.name) {
      values.push(`%${query.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      conditions.push(`name ILIKE $${values.length}`);
    }
    if (query.tag) {
      values.push([query.tag]);
      conditions.push(`tags @> $${values.length}`);
    }
    const page = keyset({ expression: column, type: 'timestamptz', order: query.order, cursor: query.cursor }, values.length + 1);
    if (page.condition) conditions.push(page.condition);
    values.push(...page.values, query.limit + 1);
    const { rows } = await this.read.query<StrategyRow & { sortKey: string }>(
      `SELECT ${COLUMNS}, ${column}::text AS "sortKey" FROM strategies WHERE ${conditions.join(' AND ')} ${page.orderBy} LIMIT $${values.length}`,
      values,
    );
    return pageOf(rows, query.limit) as { items: StrategyRow[]; nextCursor: string | null };
  }

  /** The changed strategy; undefined when it does not exist; 'conflict' when the new name is taken. */
  async update(tenant: string, id: string, patch: Partial<StrategyFields>): Promise<StrategyRow | undefined | 'conflict'> {
    if (!UUID.test(id)) return undefined;
    const sets: string[] = [];
    const values: unknown[] = [tenant, id];
    for (const [field, column] of [['name', 'name'], ['description', 'description'], ['spec', 'spec'], ['config', 'config'], ['tags', 'tags'], ['gates', 'gates']] as const) {
      if (patch[field] === undefined) continue;
      values.push(patch[field]);
      sets.push(`${column} = $${values.length}`);
    }
    try {
      const { rows } = await this.write.query<StrategyRow>(
        `UPDATE strategies SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE tenant = $1 AND id = $2 RETURNING ${COLUMNS}`,
        values,
      );
      return rows[0];
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return 'conflict';
      throw error;
    }
  }

  /** A strategy with backtests or studies is deleted (with them) only when `cascade` is set. */
  async delete(tenant: string, id: string, cascade: boolean): Promise<DeleteOutcome> {
    if (!UUID.test(id)) return 'not-found';
    const { rows } = await this.write.query<{ found: boolean; results: boolean; deleted: boolean }>({
      name: 'strategies.delete',
      text: `WITH target AS (SELECT id FROM strategies WHERE tenant = $1 AND id = $2),
                  results AS (SELECT EXISTS (SELECT 1 FROM backtests WHERE strategy_id = $2) OR EXISTS (SELECT 1 FROM studies WHERE strategy_id = $2) AS found_any),
                  gone AS (DELETE FROM strategies WHERE id IN (SELECT id FROM target) AND ($3 OR NOT (SELECT found_any FROM results)) RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM target) AS found, (SELECT found_any FROM results) AS results, EXISTS (SELECT 1 FROM gone) AS deleted`,
      values: [tenant, id, cascade],
    });
    const row = rows[0];
    if (!row?.found) return 'not-found';
    return row.deleted ? 'deleted' : 'has-results';
  }
}
