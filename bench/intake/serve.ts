/** The intake under attack, in a process of its own (so its RSS is its own): 300 connections, Temporal at TEMPORAL_ADDRESS; prints its URL. */
import { Client, Connection } from '@temporalio/client';
import { startIntakeServer } from '../../client/intake';
import { benchConnections, benchSecretOf } from './connections';

async function main(): Promise<void> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  const connections = benchConnections();
  const secrets = new Map(connections.map((c, index) => [c.id, benchSecretOf(index)]));
  const intake = await startIntakeServer({ client, connections: () => connections, webhookSecretOf: (c) => secrets.get(c.id) });
  process.stdout.write(`INTAKE_URL ${intake.url}\n`);
  process.once('SIGTERM', () => void intake.close().then(() => connection.close()).then(() => process.exit(0)));
}

void main();
