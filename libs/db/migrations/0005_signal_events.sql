-- Up Migration
-- The rule specs behind the hashes in signal_events, so a stored event can always be explained.
CREATE TABLE signal_rules (
  rule_hash  text PRIMARY KEY,
  spec       jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE signal_events (
  instrument_id integer NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  rule_hash     text NOT NULL REFERENCES signal_rules (rule_hash),
  interval      text NOT NULL,
  ts            timestamptz NOT NULL,
  side          text NOT NULL CHECK (side IN ('buy', 'sell')),
  target        smallint NOT NULL CHECK (target BETWEEN -1 AND 1),
  strength      double precision NOT NULL,
  price         double precision NOT NULL,
  job_id        text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- A batch that runs twice (retry or resubmission) upserts the same rows. The key also serves
  -- "latest event per symbol for a rule" as one backward index scan per symbol.
  PRIMARY KEY (instrument_id, rule_hash, interval, ts)
);

-- Down Migration
DROP TABLE signal_events;
DROP TABLE signal_rules;
