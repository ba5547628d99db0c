/**
 * The interceptors bundled with every workflow (worker/workflow-bundle.ts). None adds a command, so
 * histories replay as before:
 *  - OpenTelemetry's (@temporalio/interceptors-opentelemetry): a span for the run, each activity,
 *    signal and child, continuing the trace the starter's headers carry; the spans leave through the
 *    worker's `exporter` sink, which drops them when the worker does not trace (worker/tracing.ts);
 *  - no refused payload (contracts/refused-payload.ts) becomes a workflow's input: a start ends the run
 *    refused, a signal is dropped, an update or query is refused, and an activity's refused result is
 *    that activity failing, so the order's own failure handling says what happened;
 *  - each product pass that ends is counted (workflows/pass-metrics.ts).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type QueryInput,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { isRefusedPayload, REFUSED_PAYLOAD_ERROR_TYPE, REFUSED_PAYLOAD_FIELD, refusedAmong, type RefusedPayload } from '../contracts/refused-payload';
import { CountPasses } from './pass-metrics';

const refusal = (what: string, refused: RefusedPayload) =>
  ApplicationFailure.create({
    message: `${what}: refused a payload that was ${refused[REFUSED_PAYLOAD_FIELD]} (a security event, logged by the worker)`,
    type: REFUSED_PAYLOAD_ERROR_TYPE,
    nonRetryable: true,
  });

class RefuseInbound implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const refused = refusedAmong(input.args);
    if (refused) throw refusal('This run was started with an input the engine did not write', refused);
    return next(input);
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const refused = refusedAmong(input.args);
    if (!refused) return next(input);
    log.warn(`security: signal ${input.signalName} dropped: it carried a payload that was ${refused[REFUSED_PAYLOAD_FIELD]}`);
  }

  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    const refused = refusedAmong(input.args);
    if (refused) throw refusal(`Update ${input.name}`, refused);
    next(input);
  }

  async handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    const refused = refusedAmong(input.args);
    if (refused) throw refusal(`Update ${input.name}`, refused);
    return next(input);
  }

  async handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>): Promise<unknown> {
    const refused = refusedAmong(input.args);
    if (refused) throw refusal(`Query ${input.queryName}`, refused);
    return next(input);
  }
}

/** An activity whose result was refused failed, as far as the workflow knows (a forged completion is not a result). */
function checkedResult(activityType: string, result: Promise<unknown>): Promise<unknown> {
  return result.then((value) => {
    if (!isRefusedPayload(value)) return value;
    throw new ActivityFailure(undefined, activityType, undefined, 'NON_RETRYABLE_FAILURE', undefined, refusal(`The result of ${activityType}`, value));
  });
}

class RefuseOutbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    return checkedResult(input.activityType, next(input));
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>): Promise<unknown> {
    return checkedResult(input.activityType, next(input));
  }
}

// OpenTelemetry's (workflows/tracing-interceptors.ts, bundled before this module when the worker traces) are the outermost.
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new RefuseInbound(), new CountPasses()],
  outbound: [new RefuseOutbound()],
});
