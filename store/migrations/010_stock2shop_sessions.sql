-- The Stock2Shop token of each API user, shared by the central workers (store/stock2shop-sessions.ts):
-- sealed with the central key ring; `generation` counts the logins, so a login replaces only the token
-- it found invalid. No agent reaches it (an agent logs in as a Stock2Shop user of its own).
CREATE TABLE stock2shop_sessions (
  user_key text PRIMARY KEY,
  generation integer NOT NULL,
  token_sealed text NOT NULL,
  obtained_at timestamptz NOT NULL DEFAULT now()
);
