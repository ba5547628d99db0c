/**
 * Each product pass that ends, by the central worker that ran its last workflow task, on the workflow's
 * metric meter (tags `namespace`, `taskQueue`, `workflowType`):
 *   engine_product_passes{connection_id, outcome}                        counted
 *   engine_product_pass_ended_timestamp_seconds{connection_id, outcome}  when (workflow time): across
 *     several workers the latest is the max, so the alert rules can tell which outcome came last
 * Bundled with every workflow (workflows/interceptors.ts): it adds no command, and the SDK records
 * nothing while a history replays.
 */
import { ContinueAsNew, metricMeter, workflowInfo, type Next, type WorkflowExecuteInput, type WorkflowInboundCallsInterceptor } from '@temporalio/workflow';
import { ENGINE_METRICS, type PassOutcome } from '../contracts/engine-metrics';

const PASS_WORKFLOW_TYPE = 'productSync';

function countPass(connectionId: unknown, outcome: PassOutcome): void {
  const tags = { connection_id: typeof connectionId === 'string' ? connectionId : '', outcome };
  const { productPasses, passEndedAt } = ENGINE_METRICS;
  metricMeter.createCounter(productPasses.name, productPasses.unit, productPasses.description).add(1, tags);
  metricMeter.createGauge(passEndedAt.name, 'int', passEndedAt.unit, passEndedAt.description).set(Math.floor(Date.now() / 1000), tags);
}

export class CountPasses implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    if (workflowInfo().workflowType !== PASS_WORKFLOW_TYPE) return next(input);
    const connectionId = (input.args[0] as { connectionId?: unknown } | undefined)?.connectionId;
    let summary: unknown;
    try {
      summary = await next(input);
    } catch (error) {
      if (!(error instanceof ContinueAsNew)) countPass(connectionId, 'failed');
      throw error;
    }
    countPass(connectionId, (summary as { skippedFor?: unknown } | undefined)?.skippedFor ? 'skipped' : 'completed');
    return summary;
  }
}
