-- The passes that have ended (their reconcile step ran `endPass`), remembered for a week: a reconcile
-- step retried after its pass ended (its answer lost) finds nothing unseen, instead of taking every
-- product for removed once the pass's seen rows are gone.
CREATE TABLE product_pass_ended (
  connection_id text NOT NULL,
  pass_id text NOT NULL,
  ended_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, pass_id)
);

CREATE INDEX product_pass_ended_age ON product_pass_ended (connection_id, ended_at);
