/**
 * An on-site agent's own database role (`store/migrations/007_agent_roles.sql`): it logs in as
 * `s2s_agent_<connection>`, reaches its own connection's rows only (row-level security), and can run
 * no DDL and no migration. Made from the central side, by a role that may create roles.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { ConnectionIdSchema } from '../domain/connection';

const AGENTS_GROUP = 's2s_agents';
/** Every table of a connection's rows: the agent's lease and product state, and what it may report. */
const CONNECTION_TABLES = ['product_state', 'product_pass_seen', 'product_pass_ended', 'agent_leases', 'problems', 'alert_episodes', 'pass_claims'];

export function agentRoleName(connectionId: string): string {
  return `s2s_agent_${ConnectionIdSchema.parse(connectionId).replaceAll('-', '_')}`;
}

export class AgentRoleError extends Error {
  override name = 'AgentRoleError';
}

/**
 * Makes (or gives a new password to) the agent role of `connectionId`, and answers the agent's
 * DATABASE_URL: `centralUrl` with that role and password. The password is shown once, never stored.
 */
export async function createAgentRole(pool: Pool, centralUrl: string, connectionId: string): Promise<{ role: string; url: string }> {
  const role = agentRoleName(connectionId);
  // Hex only: safe inside the SQL literal below (role names and passwords cannot be bound parameters).
  const password = randomBytes(24).toString('hex');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [[AGENTS_GROUP, role]]);
    const existing = new Set(rows.map((row) => row.rolname));
    if (!existing.has(AGENTS_GROUP)) await client.query(`CREATE ROLE ${AGENTS_GROUP} NOLOGIN`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${CONNECTION_TABLES.join(', ')} TO ${AGENTS_GROUP}`);
    await client.query(`GRANT SELECT ON agent_roles, schema_migrations TO ${AGENTS_GROUP}`);
    const login = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD '${password}'`;
    await client.query(existing.has(role) ? `ALTER ROLE ${role} ${login}` : `CREATE ROLE ${role} ${login} IN ROLE ${AGENTS_GROUP}`);
    await client.query(
      'INSERT INTO agent_roles (role_name, connection_id) VALUES ($1, $2) ON CONFLICT (connection_id) DO UPDATE SET role_name = EXCLUDED.role_name',
      [role, connectionId],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = (error as Error).message;
    if (/permission denied/.test(message)) {
      throw new AgentRoleError(
        `The database role of DATABASE_URL cannot make agent roles (${message}): run this as a role with CREATEROLE that owns the engine's tables`,
      );
    }
    throw error;
  } finally {
    client.release();
  }
  const url = new URL(centralUrl);
  url.username = role;
  url.password = password;
  return { role, url: url.toString() };
}
