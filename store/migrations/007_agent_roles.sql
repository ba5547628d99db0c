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

ALTER TABLE product_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connection ON product_state
  USING (agent_connection() IS NULL OR connection_id = agent_connection())
  WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection());
ALTER TABLE product_pass_seen ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connection ON product_pass_seen
  USING (agent_connection() IS NULL OR connection_id = agent_connection())
  WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection());
ALTER TABLE product_pass_ended ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connection ON product_pass_ended
  USING (agent_connection() IS NULL OR connection_id = agent_connection())
  WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection());
ALTER TABLE agent_leases ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connection ON agent_leases
  USING (agent_connection() IS NULL OR connection_id = agent_connection())
  WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection());
ALTER TABLE problems ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connection ON problems
  USING (agent_connection() IS NULL OR connection_id = agent_connection())
  WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection());
ALTER TABLE alert_episodes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connection ON alert_episodes
  USING (agent_connection() IS NULL OR connection_id = agent_connection())
  WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection());
ALTER TABLE pass_claims ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connection ON pass_claims
  USING (agent_connection() IS NULL OR connection_id = agent_connection())
  WITH CHECK (agent_connection() IS NULL OR connection_id = agent_connection());
