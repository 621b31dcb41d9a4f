-- Up Migration
-- Coarser bars derived from finer ones. Refreshed CONCURRENTLY by the bars.rollup job after an
-- ingest, so readers never wait on a refresh; the unique indexes are what CONCURRENTLY needs and
-- serve the same range reads as the bars primary key.
CREATE MATERIALIZED VIEW bars_1w AS
  SELECT instrument_id, '1w'::text AS interval,
         date_trunc('week', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS ts,
         (array_agg(open ORDER BY ts))[1] AS open, max(high) AS high, min(low) AS low,
         (array_agg(close ORDER BY ts DESC))[1] AS close, sum(volume) AS volume
  FROM bars WHERE interval = '1d'
  GROUP BY instrument_id, date_trunc('week', ts AT TIME ZONE 'UTC');
CREATE UNIQUE INDEX bars_1w_key ON bars_1w (instrument_id, ts);

CREATE MATERIALIZED VIEW bars_1mo AS
  SELECT instrument_id, '1mo'::text AS interval,
         date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS ts,
         (array_agg(open ORDER BY ts))[1] AS open, max(high) AS high, min(low) AS low,
         (array_agg(close ORDER BY ts DESC))[1] AS close, sum(volume) AS volume
  FROM bars WHERE interval = '1d'
  GROUP BY instrument_id, date_trunc('month', ts AT TIME ZONE 'UTC');
CREATE UNIQUE INDEX bars_1mo_key ON bars_1mo (instrument_id, ts);

CREATE MATERIALIZED VIEW bars_1h AS
  SELECT instrument_id, '1h'::text AS interval,
         date_trunc('hour', ts) AS ts,
         (array_agg(open ORDER BY ts))[1] AS open, max(high) AS high, min(low) AS low,
         (array_agg(close ORDER BY ts DESC))[1] AS close, sum(volume) AS volume
  FROM bars WHERE interval = '1m'
  GROUP BY instrument_id, date_trunc('hour', ts);
CREATE UNIQUE INDEX bars_1h_key ON bars_1h (instrument_id, ts);

-- Days of minute data, by UTC date; an instrument's uploaded daily bars take precedence.
CREATE MATERIALIZED VIEW bars_1d_from_1m AS
  SELECT instrument_id, '1d'::text AS interval,
         date_trunc('day', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS ts,
         (array_agg(open ORDER BY ts))[1] AS open, max(high) AS high, min(low) AS low,
         (array_agg(close ORDER BY ts DESC))[1] AS close, sum(volume) AS volume
  FROM bars WHERE interval = '1m'
  GROUP BY instrument_id, date_trunc('day', ts AT TIME ZONE 'UTC');
CREATE UNIQUE INDEX bars_1d_from_1m_key ON bars_1d_from_1m (instrument_id, ts);

-- Down Migration
DROP MATERIALIZED VIEW bars_1d_from_1m;
DROP MATERIALIZED VIEW bars_1h;
DROP MATERIALIZED VIEW bars_1mo;
DROP MATERIALIZED VIEW bars_1w;
