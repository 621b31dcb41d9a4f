-- Up Migration
CREATE TABLE api_keys (
  prefix       text PRIMARY KEY CHECK (prefix ~ '^[0-9a-f]{8}$'),
  hash         bytea NOT NULL CHECK (length(hash) = 32),
  tenant       text NOT NULL CHECK (tenant ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'admin']::text[] AND cardinality(scopes) > 0),
  name         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);

-- Down Migration
DROP TABLE api_keys;
