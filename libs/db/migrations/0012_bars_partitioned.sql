-- Up Migration
-- bars becomes a table partitioned by interval and, for intraday intervals, by time: minute bars
-- by month, the other intraday intervals by year, daily and coarser bars in one partition. The
-- time partitions are created as data arrives (libs/db/src/bars/partitions.ts), and retention
-- drops the ones wholly past its horizon instead of deleting their rows.
ALTER TABLE bars RENAME TO bars_single;
ALTER INDEX bars_pkey RENAME TO bars_single_pkey;

CREATE TABLE bars (
  instrument_id integer NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  interval      text NOT NULL CHECK (interval IN ('1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1mo')),
  ts            timestamptz NOT NULL,
  open          double precision NOT NULL,
  high          double precision NOT NULL,
  low           double precision NOT NULL,
  close         double precision NOT NULL,
  volume        double precision CHECK (volume >= 0),
  -- Every read is "one instrument, one interval, a time range, in time order": this key serves
  -- them all as an index range scan in the partitions the range touches (see docs/database.md).
  PRIMARY KEY (instrument_id, interval, ts),
  CHECK (high >= low)
) PARTITION BY LIST (interval);

CREATE TABLE bars_p_1m PARTITION OF bars FOR VALUES IN ('1m') PARTITION BY RANGE (ts);
CREATE TABLE bars_p_5m PARTITION OF bars FOR VALUES IN ('5m') PARTITION BY RANGE (ts);
CREATE TABLE bars_p_15m PARTITION OF bars FOR VALUES IN ('15m') PARTITION BY RANGE (ts);
CREATE TABLE bars_p_30m PARTITION OF bars FOR VALUES IN ('30m') PARTITION BY RANGE (ts);
CREATE TABLE bars_p_1h PARTITION OF bars FOR VALUES IN ('1h') PARTITION BY RANGE (ts);
CREATE TABLE bars_p_4h PARTITION OF bars FOR VALUES IN ('4h') PARTITION BY RANGE (ts);
CREATE TABLE bars_p_daily PARTITION OF bars FOR VALUES IN ('1d', '1w', '1mo');

-- The time partitions the stored bars need, then the bars themselves.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT DISTINCT interval, date_trunc(CASE interval WHEN '1m' THEN 'month' ELSE 'year' END, ts AT TIME ZONE 'UTC') AS first
    FROM bars_single WHERE interval IN ('1m', '5m', '15m', '30m', '1h', '4h')
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
      'bars_p_' || r.interval || '_' || to_char(r.first, CASE r.interval WHEN '1m' THEN 'YYYY_MM' ELSE 'YYYY' END),
      'bars_p_' || r.interval,
      r.first AT TIME ZONE 'UTC',
      (r.first + CASE r.interval WHEN '1m' THEN interval '1 month' ELSE interval '1 year' END) AT TIME ZONE 'UTC');
  END LOOP;
END $$;
INSERT INTO bars SELECT * FROM bars_single;
DROP TABLE bars_single;

-- Down Migration
ALTER TABLE bars RENAME TO bars_partitioned;
ALTER INDEX bars_pkey RENAME TO bars_partitioned_pkey;
CREATE TABLE bars (
  instrument_id integer NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  interval      text NOT NULL CHECK (interval IN ('1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1mo')),
  ts            timestamptz NOT NULL,
  open          double precision NOT NULL,
  high          double precision NOT NULL,
  low           double precision NOT NULL,
  close         double precision NOT NULL,
  volume        double precision CHECK (volume >= 0),
  PRIMARY KEY (instrument_id, interval, ts),
  CHECK (high >= low)
);
INSERT INTO bars SELECT * FROM bars_partitioned;
DROP TABLE bars_partitioned;
