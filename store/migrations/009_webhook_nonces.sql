-- The order webhook's replay cache (store/webhook-nonces.ts): a signed call's key (source and
-- signature) until its timestamp leaves the tolerance, shared by every intake. No agent reaches it.
CREATE TABLE webhook_nonces (
  call_key text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX webhook_nonces_expiry ON webhook_nonces (expires_at);
