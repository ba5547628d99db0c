/**
 * What a confined client needs on the Temporal side: its own namespace (registered, with the retention
 * and search attributes `setupNamespace` gives any), and the Nexus endpoint through which the central
 * workflows reach its agent's queue there. Idempotent: it reads first and changes only what differs.
 * On Temporal Cloud, namespaces and endpoints are made with tcld or the Cloud UI (docs/deploy.md).
 */
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { AgentPlacement } from '../domain';
import { setupNamespace, type SetupReport } from './namespace-setup';

const NOT_FOUND = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ClientNamespaceReport {
  namespace: string;
  registered: boolean;
  setup: SetupReport;
  endpoint: string;
  endpointOutcome: 'created' | 'present' | 'retargeted';
}

async function ensureRegistered(connection: Connection, namespace: string, retentionDays: number): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (error) {
    if (!(isGrpcServiceError(error) && error.code === NOT_FOUND)) throw error;
  }
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(retentionDays * DAY_MS) });
  // The frontend learns of a new namespace at its next cache refresh (up to 10 s on a cluster).
  for (let waited = 0; ; waited += 250) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      await connection.workflowService.countWorkflowExecutions({ namespace });
      return true;
    } catch (error) {
      if (!(isGrpcServiceError(error) && error.code === NOT_FOUND) || waited > 30_000) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The endpoint named `placement.endpoint`, targeting the agent's queue in its namespace. */
async function ensureEndpoint(connection: Connection, placement: AgentPlacement): Promise<ClientNamespaceReport['endpointOutcome']> {
  const target = { worker: { namespace: placement.namespace, taskQueue: placement.taskQueue } };
  const spec = { name: placement.endpoint, target };
  const { endpoints } = await connection.operatorService.listNexusEndpoints({ name: placement.endpoint, pageSize: 1 });
  const found = endpoints?.[0];
  if (!found) {
    await connection.operatorService.createNexusEndpoint({ spec });
    return 'created';
  }
  const worker = found.spec?.target?.worker;
  if (worker?.namespace === placement.namespace && worker?.taskQueue === placement.taskQueue) return 'present';
  await connection.operatorService.updateNexusEndpoint({ id: found.id, version: found.version, spec });
  return 'retargeted';
}

export async function setupClientNamespace(
  connection: Connection,
  placement: AgentPlacement,
  { retentionDays }: { retentionDays: number },
): Promise<ClientNamespaceReport> {
  const registered = await ensureRegistered(connection, placement.namespace, retentionDays);
  const setup = await setupNamespace(connection, { namespace: placement.namespace, retentionDays });
  return { namespace: placement.namespace, registered, setup, endpoint: placement.endpoint, endpointOutcome: await ensureEndpoint(connection, placement) };
}

/** `setupClientNamespace` over a connection of its own to `address`, closed afterwards (for `npm start` and its dev server). */
export async function setupClientNamespaceAt(address: string, placement: AgentPlacement, options: { retentionDays: number }): Promise<ClientNamespaceReport> {
  const connection = await Connection.connect({ address });
  try {
    return await setupClientNamespace(connection, placement, options);
  } finally {
    await connection.close();
  }
}

/** One line for `npm start` and `clients add`. */
export function describeClientNamespace(report: ClientNamespaceReport): string {
  const namespace = report.registered ? 'registered' : 'present';
  return `namespace ${report.namespace} ${namespace}, endpoint ${report.endpoint} ${report.endpointOutcome}`;
}
