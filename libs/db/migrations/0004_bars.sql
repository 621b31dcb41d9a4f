-- Up Migration
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
  -- them all as an index range scan (see docs/database.md).
  PRIMARY KEY (instrument_id, interval, ts),
  CHECK (high >= low)
);

-- Down Migration
DROP TABLE bars;
