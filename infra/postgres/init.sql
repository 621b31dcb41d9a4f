-- Runs once, when the container creates its data directory. The monitor's slow-query view reads
-- pg_stat_statements (preloaded by the compose command).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
