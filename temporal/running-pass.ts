/**
 * Finds a product pass of a connection that is running now, taking the connection's pass claim
 * (store/pass-claims.ts) when there is none: of two passes that start together exactly one goes
 * ahead, however their checks interleave.
 *
 * Why a claim and not a look at what runs: each of two passes starting together sees the other as
 * running and both skip; and the schedule lists a triggered action among its running ones only when
 * it was started with an overlap policy that watches it. The claim is a compare-and-set in the
 * product state store; whether its holder still runs is a strongly consistent workflow describe.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { passClaimsOf, sameHolder, type PassHolder } from '../store/pass-claims';
import type { ProductStateStore } from '../store/product-state';

/** Compare-and-set rounds lost before giving up (the activity is retried): each loss means another pass took the claim meanwhile. */
const CLAIM_ROUNDS = 5;

/**
 * The workflow id of another pass of the connection that is running now (this pass then skips), or
 * null once this pass holds the connection's claim (kept by `store`).
 */
export async function otherRunningPass(client: Client, store: ProductStateStore, connectionId: string, own: PassHolder): Promise<string | null> {
  const claims = passClaimsOf(store);
  for (let round = 0; round < CLAIM_ROUNDS; round++) {
    const holder = await claims.passClaimHolder(connectionId);
    if (sameHolder(holder, own)) return null; // this very run claimed it already (a retried activity)
    // Only one run of a workflow id is open at a time: a holder of this pass's id is a closed earlier run.
    if (holder && holder.workflowId !== own.workflowId && (await isRunning(client, holder.workflowId))) return holder.workflowId;
    if (await claims.claimPass(connectionId, holder, own)) return null;
  }
  throw new Error(`the pass claim of ${connectionId} kept changing while ${own.workflowId} tried to take it; tried again`);
}

/** Is the workflow's latest run open? A pass that continued as new is still running, in its new run. */
async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
