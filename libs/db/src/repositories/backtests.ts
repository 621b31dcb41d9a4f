import type pg from 'pg';
import { keyset, pageOf } from '../keyset.js';
import { type RunState, RunStates } from './runs.js';

export interface NewBacktest {
  id: string;
  tenant: string;
  strategyId: string | null;
  symbol: string;
  interval: string;
  request: Record<string, unknown>;
}

export interface BacktestRow extends NewBacktest {
  state: RunState;
  runs: number;
  error: string | null;
  metrics: Record<string, number | null> | null;
  gates: unknown;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface TradeRow {
  side: string;
  entryTime: number;
  entryPrice: number;
  exitTime: number;
  exitPrice: number;
  quantity: number;
  pnl: number;
  return: number;
  barsHeld: number;
  fees: number;
  exitReason: string;
}

export interface StoredTrade extends Omit<TradeRow, 'entryTime' | 'exitTime'> {
  seq: number;
  entryTime: Date;
  exitTime: Date;
}

export interface BacktestOutcome {
  metrics: Record<string, number | null> & { sharpe: number | null; cagr: number | null; maxDrawdown: number; tradeCount: number };
  finalValue: number;
  gates: unknown;
  trades: readonly TradeRow[];
  equity: { ts: ArrayLike<number>; equity: ArrayLike<number>; close: ArrayLike<number> };
}

export const BACKTEST_SORTS = ['created', 'sharpe', 'cagr', 'maxDrawdown', 'finalValue'] as const;
export type BacktestSort = (typeof BACKTEST_SORTS)[number];

/** Each sort key and the indexed expression it orders by (migration 0009): undefined values sort as the worst. */
const SORT_KEYS: Record<BacktestSort, { expression: string; type: 'timestamptz' | 'float8' }> = {
  created: { expression: 'created_at', type: 'timestamptz' },
  sharpe: { expression: "COALESCE(sharpe, '-Infinity')", type: 'float8' },
  cagr: { expression: "COALESCE(cagr, '-Infinity')", type: 'float8' },
  maxDrawdown: { expression: "COALESCE(max_drawdown, 'Infinity')", type: 'float8' },
  finalValue: { expression: "COALESCE(final_value, '-Infinity')", type: 'float8' },
};

export interface BacktestQuery {
  strategyId?: string | undefined;
  symbol?: string | undefined;
  state?: RunState | undefined;
  sort: BacktestSort;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string | undefined;
}

const COLUMNS = `id, tenant, strategy_id AS "strategyId", symbol, interval, request, state, runs, error, metrics, gates,
  created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

const toDate = (ms: number) => new Date(ms).toISOString();

/** Backtests, their trades and equity curves. Reads that follow a write go to the primary. */
export class BacktestRepository extends RunStates {
  constructor(write: pg.Pool, read: pg.Pool) {
    super(write, read, 'backtests');
  }

  /** The row for this id, created when new; `created` says which. */
  async insert(backtest: NewBacktest): Promise<{ row: BacktestRow; created: boolean }> {
    return this.insertOnce<BacktestRow>({
      name: 'backtests.insert',
      text: `INSERT INTO backtests (id, tenant, strategy_id, symbol, interval, request) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      values: [backtest.id, backtest.tenant, backtest.strategyId, backtest.symbol, backtest.interval, backtest.request],
    }, () => this.get(backtest.tenant, backtest.id));
  }

  async get(tenant: string, id: string): Promise<BacktestRow | undefined> {
    const { rows } = await this.write.query<BacktestRow>({ name: 'backtests.get', text: `SELECT ${COLUMNS} FROM backtests WHERE tenant = $1 AND id = $2`, values: [tenant, id] });
    return rows[0];
  }

  async list(tenant: string, query: BacktestQuery): Promise<{ items: BacktestRow[]; nextCursor: string | null }> {
    const sort = SORT_KEYS[query.sort];
    const values: unknown[] = [tenant];
    const conditions = ['tenant = $1'];
    for (const [column, value] of [['strategy_id', query.strategyId], ['symbol', query.symbol], ['state', query.state]] as const) {
      if (value === undefined) continue;
      values.push(value);
      conditions.push(`${column} = $${values.length}`);
    }
    const page = keyset({ ...sort, order: query.order, cursor: query.cursor }, values.length + 1);
    if (page.condition) conditions.push(page.condition);
    values.push(...page.values, query.limit + 1);
    const { rows } = await this.read.query<BacktestRow & { sortKey: string }>(
      `SELECT ${COLUMNS}, (${sort.expression})::text AS "sortKey" FROM backtests WHERE ${conditions.join(' AND ')} ${page.orderBy} LIMIT $${values.length}`,
      values,
    );
    return pageOf(rows, query.limit) as { items: BacktestRow[]; nextCursor: string | null };
  }

  /**
   * The result, trades and curve in one transaction, written only while the backtest is queued
   * or running: a second worker finishing the same backtest (a stalled job taken over, a
   * duplicate) or one finishing after a cancellation writes nothing and gets false.
   */
  async complete(id: string, outcome: BacktestOutcome): Promise<boolean> {
    const client = await this.write.connect();
    try {
      await client.query('BEGIN');
      const { metrics } = outcome;
      const claimed = await client.query({
        name: 'backtests.complete',
        text: `UPDATE backtests SET state = 'completed', error = NULL, metrics = $2, gates = $3, sharpe = $4, cagr = $5, max_drawdown = $6,
                 final_value = $7, trade_count = $8, finished_at = now()
               WHERE id = $1 AND state IN ('queued', 'running')`,
        values: [id, metrics, JSON.stringify(outcome.gates ?? null), metrics.sharpe, metrics.cagr, metrics.maxDrawdown, outcome.finalValue, metrics.tradeCount],
      });
      if (claimed.rowCount !== 1) {
        await client.query('ROLLBACK');
        return false;
      }
      const t = outcome.trades;
      if (t.length > 0) {
        await client.query({
          name: 'backtest_trades.insert',
          text: `INSERT INTO backtest_trades (backtest_id, seq, side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, return, bars_held, fees, exit_reason)
                 SELECT $1, s, side, et, ep, xt, xp, q, pnl, r, b, f, why
                 FROM unnest($2::int[], $3::text[], $4::timestamptz[], $5::float8[], $6::timestamptz[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::int[], $12::float8[], $13::text[])
                   AS x(s, side, et, ep, xt, xp, q, pnl, r, b, f, why)`,
          values: [
            id,
            t.map((_, i) => i + 1),
            t.map((x) => x.side),
            t.map((x) => toDate(x.entryTime)),
            t.map((x) => x.entryPrice),
            t.map((x) => toDate(x.exitTime)),
            t.map((x) => x.exitPrice),
            t.map((x) => x.quantity),
            t.map((x) => x.pnl),
            t.map((x) => x.return),
            t.map((x) => x.barsHeld),
            t.map((x) => x.fees),
            t.map((x) => x.exitReason),
          ],
        });
      }
      const { ts, equity, close } = outcome.equity;
      await client.query({
        name: 'backtest_equity.insert',
        text: 'INSERT INTO backtest_equity (backtest_id, ts, equity, close) VALUES ($1, $2, $3, $4)',
        values: [id, Array.from(ts), Array.from(equity), Array.from(close)],
      });
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Trades in order, `limit` after trade number `after`. */
  async trades(id: string, after: number, limit: number): Promise<StoredTrade[]> {
    const { rows } = await this.read.query<StoredTrade>({
      name: 'backtest_trades.page',
      text: `SELECT seq, side, entry_time AS "entryTime", entry_price AS "entryPrice", exit_time AS "exitTime", exit_price AS "exitPrice", quantity, pnl,
               return, bars_held AS "barsHeld", fees, exit_reason AS "exitReason"
             FROM backtest_trades WHERE backtest_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      values: [id, after, limit],
    });
    return rows;
  }

  async equity(id: string): Promise<{ ts: number[]; equity: number[]; close: number[] } | undefined> {
    const { rows } = await this.read.query<{ ts: number[]; equity: number[]; close: number[] }>({
      name: 'backtest_equity.get',
      text: 'SELECT ts, equity, close FROM backtest_equity WHERE backtest_id = $1',
      values: [id],
    });
    return rows[0];
  }

  /** The strategy's most recently finished backtest: the one its gate verdicts come from. */
  async latestFinished(tenant: string, strategyId: string): Promise<BacktestRow | undefined> {
    const { rows } = await this.read.query<BacktestRow>({
      name: 'backtests.latest_finished',
      text: `SELECT ${COLUMNS} FROM backtests WHERE tenant = $1 AND strategy_id = $2 AND state = 'completed' ORDER BY finished_at DESC LIMIT 1`,
      values: [tenant, strategyId],
    });
    return rows[0];
  }
}
