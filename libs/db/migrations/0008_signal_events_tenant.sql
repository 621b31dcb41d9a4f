-- Up Migration
-- Stored signal events are the results of a tenant's batch: each belongs to the tenant that ran
-- it, and only that tenant reads it. Events stored before this migration name no tenant (''),
-- so no tenant sees them; running the batch again stores them for its tenant.
ALTER TABLE signal_events ADD COLUMN tenant text NOT NULL DEFAULT '';
ALTER TABLE signal_events ALTER COLUMN tenant DROP DEFAULT;
ALTER TABLE signal_events DROP CONSTRAINT signal_events_pkey;
-- The instrument first: deleting an instrument deletes its events by it (migration 0007), and
-- "latest event per symbol for a tenant's rule" stays one backward index scan per symbol.
ALTER TABLE signal_events ADD PRIMARY KEY (instrument_id, tenant, rule_hash, interval, ts);

-- Down Migration
ALTER TABLE signal_events DROP CONSTRAINT signal_events_pkey;
DELETE FROM signal_events a USING signal_events b
  WHERE a.instrument_id = b.instrument_id AND a.rule_hash = b.rule_hash AND a.interval = b.interval AND a.ts = b.ts AND a.tenant > b.tenant;
ALTER TABLE signal_events ADD PRIMARY KEY (instrument_id, rule_hash, interval, ts);
ALTER TABLE signal_events DROP COLUMN tenant;
