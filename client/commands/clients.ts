/** `clients add`: what a confined Omni client needs on the Temporal side, and the configuration its agent is given. */
import { Command } from 'commander';
import { Connection as GrpcConnection } from '@temporalio/client';
import { agentPlacement } from '../../domain';
import { connectionKeyRingVariable } from '../../temporal/data-converter';
import { generateKeyRingText } from '../../temporal/payload-codec';
import { GRANT_SIGNING_KEY_VARIABLE, GRANT_VERIFY_KEY_VARIABLE, signingKeyFromEnv, verifyKeyText } from '../../temporal/agent-grant';
import { describeClientNamespace, setupClientNamespace } from '../client-namespaces';
import { parseRetentionDays } from '../namespace-setup';
import { findConnection, UsageError, type CliContext } from '../cli-context';

export function registerClients(program: Command, context: CliContext): void {
  program
    .command('clients')
    .description("each Omni client's own namespace, where its on-site agent is confined")
    .command('add <connectionId>')
    .description(
      "create what a confined Omni client needs (its namespace with retention and search attributes, the Nexus endpoint to its agent's queue) " +
        'and print its agent\'s configuration, without the central side\'s secrets. Idempotent. The connection names "agent": {} in the connections file',
    )
    .option('--retention-days <days>', 'retention of the client namespace (default: TEMPORAL_RETENTION_DAYS, else 30)')
    .action(async (connectionId: string, options: { retentionDays?: string }) => {
      const connection = findConnection(context, connectionId);
      if (connection.sourceKind !== 'omni') {
        throw new UsageError(
          `Connection '${connection.id}' is ${connection.sourceKind}: it has no agent; its calls run on the central workers (task queue isync), nothing to add`,
        );
      }
      const placement = agentPlacement(connection);
      if (!placement) {
        throw new UsageError(
          `Connection '${connection.id}' is not confined yet: add "agent": {} to it in the connections file (namespace and endpoint default to client-${connection.id}), then run this again`,
        );
      }
      const retentionDays = parseRetentionDays(
        options.retentionDays ?? process.env.TEMPORAL_RETENTION_DAYS,
        options.retentionDays ? '--retention-days' : 'TEMPORAL_RETENTION_DAYS',
      );
      const target = context.temporal
        ? await context.temporal()
        : await context.client().then((client) => {
            if (!(client.connection instanceof GrpcConnection)) throw new Error('clients add needs a gRPC connection to Temporal');
            return { connection: client.connection };
          });
      const report = await setupClientNamespace(target.connection, placement, { retentionDays });
      context.out(`${connection.id}: ${describeClientNamespace(report)}`);
      for (const problem of report.setup.problems) context.out(`  ! ${problem}`);

      const ringVariable = connectionKeyRingVariable(connection.id);
      const ring = process.env[ringVariable] ?? generateKeyRingText(`${connection.id}-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`);
      if (!process.env[ringVariable])
        context.out(`  a new key ring: set ${ringVariable} below on the central side too (workers, intake, codec server, CLI) and restart it`);
      const signingKey = signingKeyFromEnv();
      const verifyKey = process.env[GRANT_VERIFY_KEY_VARIABLE] ?? (signingKey ? verifyKeyText(signingKey) : undefined);
      if (!verifyKey) context.out(`  no grant keys here: npm run cli -- keys generate --grants (${GRANT_SIGNING_KEY_VARIABLE} for the central workers only)`);
      const refs = connection.credentialsRef;
      context.out('');
      context.out(`# The agent of ${connection.id}, on the client's server: its own namespace, ring and rows, and nothing of the central side's`);
      for (const line of [
        `AGENT_CONNECTION_ID=${connection.id}`,
        `TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS ?? 'localhost:7233'}`,
        `TEMPORAL_NAMESPACE=${placement.namespace}`,
        `TEMPORAL_API_KEY=<a credential for namespace ${placement.namespace} only, role write (Temporal Cloud: a namespace-scoped API key)>`,
        `${ringVariable}=${ring}`,
        `${GRANT_VERIFY_KEY_VARIABLE}=${verifyKey ?? '<from keys generate --grants>'}`,
        `DATABASE_URL=<npm run cli -- db agent-role ${connection.id}, or unset for a lease file on the agent's own disk>`,
        `# and the connection's own secrets, by the names the connection gives them: ${Object.values(refs).join(', ')}`,
        ...stock2shopLinesForAgent(connection.stock2shop.credentialsRef),
        `# start it: node --import tsx worker/agent.ts ${connection.id}`,
      ]) {
        context.out(line);
      }
    });
}

/** The agent logs in to Stock2Shop as an API user of its own: one login would end the central workers' token. */
function stock2shopLinesForAgent(ref: { username?: string; password?: string; token?: string }): string[] {
  if (ref.username !== undefined && ref.password !== undefined) {
    return [
      `${ref.username}=<a Stock2Shop API user of the agent's own, not the central workers' (a login ends that user's earlier tokens)>`,
      `${ref.password}=<that user's password>`,
    ];
  }
  return [`${ref.token}=<a Stock2Shop token; better, name username and password variables in the connection: a token expires and cannot be renewed>`];
}
