-- The product state of every connection (store/postgres-store.ts): what was last
-- pushed to Stock2Shop per product variant, and which variants each pass over the catalog has seen.

CREATE TABLE product_state (
  connection_id text NOT NULL,
  -- the variant code: one Stock2Shop queue item per variant
  code text NOT NULL,
  -- the content hash last pushed
  hash text NOT NULL,
  product_code text NOT NULL,
  title text NOT NULL,
  pushed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, code)
);

-- One row per variant a pass has seen, whichever worker ran the page; the pass's reconcile step reads
-- them all, then deletes them.
CREATE TABLE product_pass_seen (
  connection_id text NOT NULL,
  pass_id text NOT NULL,
  code text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, pass_id, code)
);

-- Rows of passes that never reached their reconcile step are cleared by age.
CREATE INDEX product_pass_seen_age ON product_pass_seen (connection_id, seen_at);
