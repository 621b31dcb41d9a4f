-- Up Migration
CREATE TABLE instruments (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  symbol      text NOT NULL UNIQUE CHECK (symbol ~ '^[A-Z0-9][A-Z0-9._^-]{0,31}$'),
  name        text NOT NULL,
  asset_class text NOT NULL DEFAULT 'equity',
  exchange    text,
  currency    text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE instruments;
