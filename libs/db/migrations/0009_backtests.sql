-- Up Migration
-- A strategy is a rule spec with a description, default backtest settings, tags for finding it
-- and the gates its results must pass.
ALTER TABLE strategies
  ADD COLUMN description text NOT NULL DEFAULT '',
  ADD COLUMN config jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
  ADD COLUMN gates jsonb;
-- Keyset pages by created or updated time, newest or oldest first.
CREATE INDEX strategies_tenant_created ON strategies (tenant, created_at, id);
CREATE INDEX strategies_tenant_updated ON strategies (tenant, updated_at, id);
CREATE INDEX strategies_tags ON strategies USING gin (tags);

-- One row per distinct request of a tenant: the id is a hash of both, so a retried, stalled or
-- duplicated job finds the row it is to finish instead of adding one.
CREATE TABLE backtests (
  id            text PRIMARY KEY,
  tenant        text NOT NULL,
  strategy_id   uuid REFERENCES strategies (id) ON DELETE CASCADE,
  symbol        text NOT NULL,
  interval      text NOT NULL,
  request       jsonb NOT NULL,
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  runs          integer NOT NULL DEFAULT 1,
  error         text,
  metrics       jsonb,
  gates         jsonb,
  -- Sort keys copied out of metrics. An undefined value (no trades, σ = 0) sorts as the worst:
  -- the indexes below are on the same COALESCE expressions the list queries order by.
  sharpe        double precision,
  cagr          double precision,
  max_drawdown  double precision,
  final_value   double precision,
  trade_count   integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz
);
CREATE INDEX backtests_created ON backtests (tenant, created_at, id);
CREATE INDEX backtests_sharpe ON backtests (tenant, (COALESCE(sharpe, '-Infinity')), id);
CREATE INDEX backtests_cagr ON backtests (tenant, (COALESCE(cagr, '-Infinity')), id);
CREATE INDEX backtests_max_drawdown ON backtests (tenant, (COALESCE(max_drawdown, 'Infinity')), id);
CREATE INDEX backtests_final_value ON backtests (tenant, (COALESCE(final_value, '-Infinity')), id);
CREATE INDEX backtests_strategy ON backtests (strategy_id, finished_at);

CREATE TABLE backtest_trades (
  backtest_id   text NOT NULL REFERENCES backtests (id) ON DELETE CASCADE,
  seq           integer NOT NULL,
  side          text NOT NULL,
  entry_time    timestamptz NOT NULL,
  entry_price   double precision NOT NULL,
  exit_time     timestamptz NOT NULL,
  exit_price    double precision NOT NULL,
  quantity      double precision NOT NULL,
  pnl           double precision NOT NULL,
  return        double precision NOT NULL,
  bars_held     integer NOT NULL,
  fees          double precision NOT NULL,
  exit_reason   text NOT NULL,
  PRIMARY KEY (backtest_id, seq)
);

-- The curve as arrays: it is always read whole (then downsampled), never by row.
CREATE TABLE backtest_equity (
  backtest_id   text PRIMARY KEY REFERENCES backtests (id) ON DELETE CASCADE,
  ts            double precision[] NOT NULL,
  equity        double precision[] NOT NULL,
  close         double precision[] NOT NULL
);

-- Sweeps and walk-forward validations: a request, a state and one result document.
CREATE TABLE studies (
  id            text PRIMARY KEY,
  tenant        text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('sweep', 'validation')),
  strategy_id   uuid REFERENCES strategies (id) ON DELETE CASCADE,
  request       jsonb NOT NULL,
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  runs          integer NOT NULL DEFAULT 1,
  error         text,
  result        jsonb,
  gates         jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX studies_tenant ON studies (tenant, kind, created_at, id);
CREATE INDEX studies_strategy ON studies (strategy_id, finished_at);

-- Down Migration
DROP TABLE studies;
DROP TABLE backtest_equity;
DROP TABLE backtest_trades;
DROP TABLE backtests;
DROP INDEX strategies_tags;
DROP INDEX strategies_tenant_updated;
DROP INDEX strategies_tenant_created;
ALTER TABLE strategies DROP COLUMN gates, DROP COLUMN tags, DROP COLUMN config, DROP COLUMN description;
