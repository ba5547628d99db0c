-- Each connection's pass claim (store/pass-claims.ts): the product pass that last won the right to
-- run. A pass takes it by compare-and-set against the holder it saw, so of two passes starting together
-- exactly one gets it; whether the holder still runs is asked of Temporal, so a claim is never released.
CREATE TABLE pass_claims (
  connection_id text PRIMARY KEY,
  workflow_id text NOT NULL,
  run_id text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
);
