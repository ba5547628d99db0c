-- The problem ledger (store/postgres-store.ts): what needs a person, per connection.
-- A product record rejected by validation or refused by Stock2Shop (kind 'product', its variant code),
-- an order waiting for a fix or failed (kind 'order', its channel order code). One row per open
-- problem; recording it again keeps first_seen, closing it deletes the row.

CREATE TABLE problems (
  connection_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('product', 'order')),
  code text NOT NULL,
  -- the field at fault; '' when the reason names none
  field text NOT NULL,
  reason text NOT NULL,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, kind, code)
);
