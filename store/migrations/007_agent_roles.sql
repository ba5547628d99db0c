-- An on-site agent's own database role reaches its own connection's rows only (docs/security.md).
-- `npm run cli -- db agent-role <connectionId>` makes the role and its row here; the central side
-- (the owner of these tables) is not held by row-level security.
CREATE TABLE agent_roles (
  role_name text PRIMARY KEY,
  connection_id text NOT NULL UNIQUE
);
ALTER TABLE agent_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_sees_itself ON agent_roles USING (role_name = current_user);

-- The connection of the current role when it is an agent's; NULL for any other role.
CREATE FUNCTION agent_connection() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT connection_id FROM agent_roles WHERE role_name = current_user
$$;

-- Every connection-keyed table: an agent's role sees, writes and keeps its own connection's rows only.
DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['product_state', 'product_pass_seen', 'product_pass_ended', 'agent_leases', 'problems', 'alert_episodes', 'pass_claims'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
    EXECUTE format(
      'CREATE POLICY own_connection ON %I USING (agent_connection() IS NULL OR connection_id = agent_connection()) '
      'WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection())',
      name
    );
  END LOOP;
END $$;
