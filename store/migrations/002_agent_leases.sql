-- One Omni agent per connection at a time (store/agent-lease.ts): the holder renews its lease every
-- few seconds; another agent takes it over only once it has expired.

CREATE TABLE agent_leases (
  connection_id text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);
