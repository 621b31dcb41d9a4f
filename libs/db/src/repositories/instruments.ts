import type pg from 'pg';

export interface InstrumentRow {
  id: number;
  symbol: string;
  name: string;
  assetClass: string;
  exchange: string | null;
  currency: string;
  createdAt: Date;
}

export interface NewInstrumentRow {
  symbol: string;
  name: string;
  assetClass?: string | undefined;
  exchange?: string | undefined;
  currency?: string | undefined;
}

const COLUMNS = 'id, symbol, name, asset_class AS "assetClass", exchange, currency, created_at AS "createdAt"';

export class InstrumentRepository {
  constructor(
    private readonly write: pg.Pool,
    private readonly read: pg.Pool,
  ) {}

  /** Creates the instrument, or updates its descriptive fields when the symbol exists; `created` tells which. */
  async upsert(input: NewInstrumentRow): Promise<{ instrument: InstrumentRow; created: boolean }> {
    const { rows } = await this.write.query<InstrumentRow & { created: boolean }>({
      name: 'instruments.upsert',
      text: `INSERT INTO instruments (symbol, name, asset_class, exchange, currency)
             VALUES ($1, $2, COALESCE($3, 'equity'), $4, COALESCE($5, 'USD'))
             ON CONFLICT (symbol) DO UPDATE SET name = EXCLUDED.name, asset_class = EXCLUDED.asset_class,
               exchange = EXCLUDED.exchange, currency = EXCLUDED.currency
             RETURNING ${COLUMNS}, (xmax = 0) AS created`,
      values: [input.symbol, input.name, input.assetClass ?? null, input.exchange ?? null, input.currency ?? null],
    });
    const { created, ...instrument } = rows[0] as InstrumentRow & { created: boolean };
    return { instrument, created };
  }

  async list(options: { limit: number; after?: string | undefined }): Promise<InstrumentRow[]> {
    const { rows } = await this.read.query<InstrumentRow>({
      name: 'instruments.list',
      text: `SELECT ${COLUMNS} FROM instruments WHERE ($1::text IS NULL OR symbol > $1) ORDER BY symbol LIMIT $2`,
      values: [options.after ?? null, options.limit],
    });
    return rows;
  }

  async bySymbol(symbol: string): Promise<InstrumentRow | undefined> {
    const { rows } = await this.read.query<InstrumentRow>({
      name: 'instruments.bySymbol',
      text: `SELECT ${COLUMNS} FROM instruments WHERE symbol = $1`,
      values: [symbol],
    });
    return rows[0];
  }
}
