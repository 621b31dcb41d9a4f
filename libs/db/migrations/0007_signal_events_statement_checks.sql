-- Up Migration
-- signal_events' two foreign keys ran a locking look-up per inserted row: 200,000 of them for a
-- batch of 100 symbols x 10 rules, 2.8x the cost of the inserts themselves.
-- The upsert (SignalEventRepository.upsert) now locks the one instrument and the rules it
-- writes once per statement and refuses events whose instrument or rule is missing; the
-- triggers below keep what the keys did on the other side: deleting an instrument deletes its
-- events, and a rule that events refer to cannot be deleted.
ALTER TABLE signal_events DROP CONSTRAINT signal_events_instrument_id_fkey;
ALTER TABLE signal_events DROP CONSTRAINT signal_events_rule_hash_fkey;

CREATE FUNCTION signal_events_drop_instrument() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM signal_events WHERE instrument_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER instruments_delete_signal_events AFTER DELETE ON instruments
  FOR EACH ROW EXECUTE FUNCTION signal_events_drop_instrument();

CREATE FUNCTION signal_rules_keep_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM signal_events WHERE rule_hash = OLD.rule_hash) THEN
    RAISE EXCEPTION 'signal rule % is still referenced from signal_events', OLD.rule_hash
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER signal_rules_delete_in_use BEFORE DELETE ON signal_rules
  FOR EACH ROW EXECUTE FUNCTION signal_rules_keep_used();

-- Down Migration
DROP TRIGGER signal_rules_delete_in_use ON signal_rules;
DROP FUNCTION signal_rules_keep_used();
DROP TRIGGER instruments_delete_signal_events ON instruments;
DROP FUNCTION signal_events_drop_instrument();
ALTER TABLE signal_events ADD CONSTRAINT signal_events_instrument_id_fkey
  FOREIGN KEY (instrument_id) REFERENCES instruments (id) ON DELETE CASCADE;
ALTER TABLE signal_events ADD CONSTRAINT signal_events_rule_hash_fkey
  FOREIGN KEY (rule_hash) REFERENCES signal_rules (rule_hash);
