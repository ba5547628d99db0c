/** `db migrate` and `db agent-role`: the shared database (DATABASE_URL), from the central side only. */
import type { Command } from 'commander';
import { Pool } from 'pg';
import { agentRefusal } from '../../domain';
import { AgentRoleError, createAgentRole } from '../../store/agent-roles';
import { migrate } from '../../store/migrate';
import { findConnection, UsageError, type CliContext } from '../cli-context';

async function withCentralDatabase<T>(use: (pool: Pool, url: string) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new UsageError('Set DATABASE_URL to the shared database, as the central workers have it');
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    return await use(pool, url);
  } finally {
    await pool.end();
  }
}

export function registerDatabase(program: Command, context: CliContext): void {
  const db = program.command('db').description('the shared database (DATABASE_URL), from the central side');
  db.command('migrate')
    .description('apply the migrations not applied yet (the central worker does it at start too; an agent never does)')
    .action(async () => {
      const { applied } = await withCentralDatabase((pool) => migrate(pool));
      context.out(applied.length === 0 ? 'The schema is current' : `Applied ${applied.join(', ')}`);
    });
  db.command('agent-role <connectionId>')
    .description(
      "make (or give a new password to) the database role of an Omni connection's on-site agent, which reaches that connection's rows only, " +
        "and print the agent's DATABASE_URL (shown once)",
    )
    .action(async (connectionId: string) => {
      const connection = findConnection(context, connectionId);
      const refusal = agentRefusal(connection);
      if (refusal) throw new UsageError(refusal);
      const { role, url } = await withCentralDatabase(async (pool, centralUrl) => {
        await migrate(pool);
        return createAgentRole(pool, centralUrl, connectionId).catch((error: Error) => {
          throw error instanceof AgentRoleError ? new UsageError(error.message) : error;
        });
      });
      context.out(`Role ${role} reaches connection ${connectionId}'s rows only. On the agent's machine, set:`);
      context.out(`DATABASE_URL=${url}`);
    });
}
