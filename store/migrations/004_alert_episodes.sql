-- Alert episodes (store/alert-episodes.ts): one row per (connection, kind, subject) while its
-- condition lasts, so each alert is sent once per episode by exactly one worker. A sender claims the
-- row's alert for a short lease (claimed_until); open_sent_at remembers an open alert the receiver
-- accepted; recovered_at marks an ended condition whose recovery is still to be sent. The row is
-- deleted once the recovery went out (or at once when the condition ends before any alert went out).

CREATE TABLE alert_episodes (
  connection_id text NOT NULL,
  kind text NOT NULL,
  subject text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  -- the latest description of the condition
  message text NOT NULL,
  open_sent_at timestamptz,
  recovered_at timestamptz,
  recovery_message text,
  claimed_until timestamptz,
  PRIMARY KEY (connection_id, kind, subject)
);
