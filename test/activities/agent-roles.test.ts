/**
 * An agent's database role (`db agent-role`) reaches its own connection's rows only, on a real
 * Postgres: with acme's role, an agent takes and keeps its own lease and reads its own product state,
 * and it can neither see, change, take nor delete bravo's rows, nor run DDL or a migration; a
 * schema behind is said to it, not fixed by it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool } from 'pg';
import { createAgentRole } from '../../store/agent-roles';
import { PostgresAgentLease } from '../../store/agent-lease';
import { migrate, pendingMigrations } from '../../store/migrate';
import { postgresForTests } from '../helpers/postgres';

const postgres = postgresForTests('agent_roles');

async function seeded(): Promise<{ central: Pool; acme: Pool; url: string }> {
  const url = await postgres.freshDatabase();
  const central = postgres.pool(url);
  await migrate(central);
  for (const connectionId of ['acme-omni', 'bravo-omni']) {
    await central.query("INSERT INTO agent_leases (connection_id, holder, expires_at) VALUES ($1, 'central-test', now() - interval '1 minute')", [
      connectionId,
    ]);
    await central.query("INSERT INTO product_state (connection_id, code, hash, product_code, title) VALUES ($1, 'SKU-1', 'h', 'P-1', 'Kettle')", [
      connectionId,
    ]);
    await central.query("INSERT INTO problems (connection_id, kind, code, field, reason) VALUES ($1, 'order', 'WEB-1', 'sku', 'not found')", [connectionId]);
  }
  const acmeRole = await createAgentRole(central, url, 'acme-omni');
  await createAgentRole(central, url, 'bravo-omni');
  assert.equal(acmeRole.role, 's2s_agent_acme_omni');
  return { central, acme: postgres.pool(acmeRole.url), url };
}

test("an agent's role sees and changes its own connection's rows only", async () => {
  const { central, acme } = await seeded();
  for (const table of ['agent_leases', 'product_state', 'problems']) {
    const { rows } = await acme.query<{ connection_id: string }>(`SELECT connection_id FROM ${table}`);
    assert.deepEqual(
      rows.map((row) => row.connection_id),
      ['acme-omni'],
      `${table}: its own rows only`,
    );
  }
  assert.deepEqual((await acme.query('SELECT connection_id FROM agent_roles')).rows, [{ connection_id: 'acme-omni' }]);
  // Bravo's lease: invisible to update or delete, and no row can be written in bravo's name.
  assert.equal(
    (await acme.query("UPDATE agent_leases SET holder = 'rogue', expires_at = now() + interval '1 hour' WHERE connection_id = 'bravo-omni'")).rowCount,
    0,
  );
  assert.equal((await acme.query("DELETE FROM product_state WHERE connection_id = 'bravo-omni'")).rowCount, 0);
  await assert.rejects(
    acme.query("INSERT INTO problems (connection_id, kind, code, field, reason) VALUES ('bravo-omni', 'order', 'FAKE', 'x', 'y')"),
    /row-level security/,
  );
  await assert.rejects(acme.query("UPDATE agent_leases SET connection_id = 'bravo-omni' WHERE connection_id = 'acme-omni'"), /row-level security/);
  const bravo = await central.query("SELECT holder FROM agent_leases WHERE connection_id = 'bravo-omni'");
  assert.deepEqual(bravo.rows, [{ holder: 'central-test' }]);
  assert.equal((await central.query("SELECT count(*)::int AS n FROM product_state WHERE connection_id = 'bravo-omni'")).rows[0].n, 1);
});

test('with its own role, an agent takes its own lease and cannot take another connection’s', async () => {
  const { central, acme } = await seeded();
  const own = await new PostgresAgentLease(acme, 'acme-omni', 30, async () => undefined, 'agent-a').tryAcquire();
  assert.equal(own.held, true);
  await assert.rejects(new PostgresAgentLease(acme, 'bravo-omni', 30, async () => undefined, 'agent-a').tryAcquire(), /row-level security/);
  assert.deepEqual((await central.query("SELECT holder FROM agent_leases WHERE connection_id = 'bravo-omni'")).rows, [{ holder: 'central-test' }]);
});

test('an agent runs no DDL and no migration; a schema behind is said to it', async () => {
  const { central, acme } = await seeded();
  await assert.rejects(acme.query('CREATE TABLE rogue (x int)'), /permission denied/);
  await assert.rejects(acme.query('DROP TABLE agent_leases'), /must be owner/);
  await assert.rejects(acme.query('ALTER TABLE agent_leases DISABLE ROW LEVEL SECURITY'), /must be owner/);
  await assert.rejects(acme.query("INSERT INTO agent_roles (role_name, connection_id) VALUES ('s2s_agent_acme_omni', 'bravo-omni')"), /permission denied/);
  assert.deepEqual(await pendingMigrations(acme), []);
  await central.query("DELETE FROM schema_migrations WHERE version = '007'");
  assert.deepEqual(await pendingMigrations(acme), ['007_agent_roles.sql']);
  await assert.rejects(migrate(acme), /permission denied|must be owner/);
});
