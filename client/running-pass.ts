/**
 * Finds a product pass of a connection that is running now: the schedule's current run, or a manual
 * run (`product-sync/<id>/manual`). Both are strongly consistent reads (schedule and workflow
 * describe), not a visibility query.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { manualProductSyncWorkflowId, productSyncScheduleId } from '../domain';

export async function otherRunningPass(client: Client, connectionId: string, ownWorkflowId: string): Promise<string | null> {
  try {
    const schedule = await client.schedule.getHandle(productSyncScheduleId(connectionId)).describe();
    const scheduled = schedule.info.runningActions.find((action) => action.workflow.workflowId !== ownWorkflowId);
    if (scheduled) return scheduled.workflow.workflowId;
  } catch (error) {
    if ((error as Error).name !== 'ScheduleNotFoundError') throw error;
  }
  const manualId = manualProductSyncWorkflowId(connectionId);
  if (manualId === ownWorkflowId) return null;
  try {
    const manual = await client.workflow.getHandle(manualId).describe();
    return manual.status.name === 'RUNNING' ? manualId : null;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}
