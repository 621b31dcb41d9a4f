-- Up Migration
-- The monitor's history beyond the hour it holds in memory: one average per figure per minute,
-- pruned after a day.
CREATE TABLE monitor_samples (
  key    text NOT NULL,
  ts     timestamptz NOT NULL,
  value  double precision NOT NULL,
  PRIMARY KEY (key, ts)
);
CREATE INDEX monitor_samples_ts ON monitor_samples (ts);

-- One row per alert (a rule and a label set, from firing to resolved).
CREATE TABLE monitor_alerts (
  id           bigserial PRIMARY KEY,
  fingerprint  text NOT NULL,
  rule         text NOT NULL,
  labels       jsonb NOT NULL,
  severity     text NOT NULL CHECK (severity IN ('warning', 'critical')),
  status       text NOT NULL CHECK (status IN ('firing', 'resolved')),
  value        double precision,
  summary      text NOT NULL,
  starts_at    timestamptz NOT NULL,
  ends_at      timestamptz
);
-- At most one firing alert per rule and label set.
CREATE UNIQUE INDEX monitor_alerts_firing ON monitor_alerts (fingerprint) WHERE status = 'firing';
CREATE INDEX monitor_alerts_started ON monitor_alerts (starts_at DESC);

-- Down Migration
DROP TABLE monitor_alerts;
DROP TABLE monitor_samples;
