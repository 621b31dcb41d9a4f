-- Up Migration
-- Rollups become tables kept current bucket by bucket: an upload records the span of bars it
-- changed in rollup_pending (in its own transaction, so nothing is lost), and the bars.rollup job
-- recomputes only the buckets of those spans. The cost follows the upload, not the stored data.
DROP MATERIALIZED VIEW bars_1d_from_1m;
DROP MATERIALIZED VIEW bars_1h;
DROP MATERIALIZED VIEW bars_1mo;
DROP MATERIALIZED VIEW bars_1w;

CREATE TABLE bars_1w (LIKE bars INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (instrument_id, ts));
CREATE TABLE bars_1mo (LIKE bars INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (instrument_id, ts));
CREATE TABLE bars_1h (LIKE bars INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (instrument_id, ts));
-- Days of minute data, by UTC date; an instrument's uploaded daily bars take precedence.
CREATE TABLE bars_1d_from_1m (LIKE bars INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (instrument_id, ts));
ALTER TABLE bars_1w ADD FOREIGN KEY (instrument_id) REFERENCES instruments (id) ON DELETE CASCADE;
ALTER TABLE bars_1mo ADD FOREIGN KEY (instrument_id) REFERENCES instruments (id) ON DELETE CASCADE;
ALTER TABLE bars_1h ADD FOREIGN KEY (instrument_id) REFERENCES instruments (id) ON DELETE CASCADE;
ALTER TABLE bars_1d_from_1m ADD FOREIGN KEY (instrument_id) REFERENCES instruments (id) ON DELETE CASCADE;

CREATE TABLE rollup_pending (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instrument_id integer NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  -- The interval of the bars that changed: 1m feeds 1h and 1d, 1d feeds 1w and 1mo.
  interval      text NOT NULL,
  from_ts       timestamptz NOT NULL,
  to_ts         timestamptz NOT NULL,
  queued_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rollup_pending_instrument ON rollup_pending (instrument_id, interval);

-- Every instrument's whole history once, as the views held it.
INSERT INTO bars_1w
  SELECT instrument_id, '1w', date_trunc('week', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
         (array_agg(open ORDER BY ts))[1], max(high), min(low), (array_agg(close ORDER BY ts DESC))[1], sum(volume)
  FROM bars WHERE interval = '1d' GROUP BY 1, 3;
INSERT INTO bars_1mo
  SELECT instrument_id, '1mo', date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
         (array_agg(open ORDER BY ts))[1], max(high), min(low), (array_agg(close ORDER BY ts DESC))[1], sum(volume)
  FROM bars WHERE interval = '1d' GROUP BY 1, 3;
INSERT INTO bars_1h
  SELECT instrument_id, '1h', date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
         (array_agg(open ORDER BY ts))[1], max(high), min(low), (array_agg(close ORDER BY ts DESC))[1], sum(volume)
  FROM bars WHERE interval = '1m' GROUP BY 1, 3;
INSERT INTO bars_1d_from_1m
  SELECT instrument_id, '1d', date_trunc('day', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
         (array_agg(open ORDER BY ts))[1], max(high), min(low), (array_agg(close ORDER BY ts DESC))[1], sum(volume)
  FROM bars WHERE interval = '1m' GROUP BY 1, 3;

-- Down Migration
DROP TABLE rollup_pending;
DROP TABLE bars_1d_from_1m;
DROP TABLE bars_1h;
DROP TABLE bars_1mo;
DROP TABLE bars_1w;
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
CREATE MATERIALIZED VIEW bars_1d_from_1m AS
  SELECT instrument_id, '1d'::text AS interval,
         date_trunc('day', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS ts,
         (array_agg(open ORDER BY ts))[1] AS open, max(high) AS high, min(low) AS low,
         (array_agg(close ORDER BY ts DESC))[1] AS close, sum(volume) AS volume
  FROM bars WHERE interval = '1m'
  GROUP BY instrument_id, date_trunc('day', ts AT TIME ZONE 'UTC');
CREATE UNIQUE INDEX bars_1d_from_1m_key ON bars_1d_from_1m (instrument_id, ts);
