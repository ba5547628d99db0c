/** No refused payload (contracts/refused-payload.ts) becomes an activity's input: the activity fails at once, not retried. */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { REFUSED_PAYLOAD_ERROR_TYPE, REFUSED_PAYLOAD_FIELD, refusedAmong } from '../contracts/refused-payload';

class RefuseInbound implements ActivityInboundCallsInterceptor {
  constructor(private readonly activityType: string) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const refused = refusedAmong(input.args);
    if (!refused) return next(input);
    throw ApplicationFailure.create({
      message: `${this.activityType} was given an input the engine did not write: refused a payload that was ${refused[REFUSED_PAYLOAD_FIELD]} (a security event, logged by the worker)`,
      type: REFUSED_PAYLOAD_ERROR_TYPE,
      nonRetryable: true,
    });
  }
}

export const activityInterceptors: ActivityInterceptorsFactory[] = [(context) => ({ inbound: new RefuseInbound(context.info.activityType) })];
