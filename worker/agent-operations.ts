/**
 * The Nexus endpoint of a confined agent (its client's namespace): each request the central side
 * signed starts the run that backs it (`workflows/agent.ts`), with the options the agent's own
 * connection settings give. A request without a valid grant for this connection, this operation and
 * (for a raise) this exact document is refused and logged as a security event, whoever scheduled it:
 * the open-source server lets any namespace call any endpoint.
 */
import type { KeyObject } from 'node:crypto';
import * as nexus from 'nexus-rpc';
import { getClient, startWorkflow, WorkflowRunOperationHandler, type WorkflowHandle } from '@temporalio/nexus';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { QuickRaise, QuickRaiseBudget } from '../activities/orders';
import type { RaiseInSourceInput, RaiseInSourceResult } from '../contracts/activities';
import { z } from 'zod';
import { agentCallWorkflowId, type Connection } from '../domain';
import { agentService, type AgentOperation, type AgentRequest, type AgentSourceCallInput } from '../contracts/agent-service';
import { grantAllows, type GrantSubject } from '../temporal/agent-grant';
import { answerBelongsTo } from '../temporal/nexus-answer-owner';
import { PROBE_CALL_OPTIONS, pageCallOptions, raiseCallOptions } from '../workflows/source-call-options';
import { agentSourceCall } from '../workflows/agent';

export interface AgentEndpointSetup {
  /** The agent's connection, as its configuration holds it now. */
  connection: () => Connection;
  verifyKey: KeyObject;
  /** A security event: one line, never the request's content. */
  refused: (line: string) => void;
  /** The raise tried at once, on the agent's activities' own context; without it every raise is backed by a run. */
  quickRaise?: (input: RaiseInSourceInput, budget: QuickRaiseBudget) => Promise<QuickRaise>;
  /** One line for the agent's log: a raise handed over to its backing run (a slow or failing source), and why. */
  note?: (line: string) => void;
}

/**
 * A quick raise answers within these: a synchronous operation must answer within the server's 10 s
 * request timeout, with room for a busy agent and the start of a backing run after it.
 */
export const QUICK_RAISE_BUDGET: QuickRaiseBudget = { beforeCreateMs: 3000, answerMs: 7000 };

const RequestSchema = z.object({ grant: z.string(), call: z.looseObject({ connectionId: z.string() }) });
const RaiseCallSchema = z.looseObject({ channelOrderCode: z.string().min(1), document: z.unknown() });
const PassCallSchema = z.looseObject({ passId: z.string().min(1) });

interface Backing {
  subject: GrantSubject;
  workflowId: string;
  options: AgentSourceCallInput['options'];
  /** The activity's argument, when it is not the call itself. */
  argument?: unknown;
}

/** A backing run of this id is running (an earlier request's, whose answer was lost): a repeated request joins it, never a quick raise beside it. */
async function backingRunUnderWay(workflowId: string): Promise<boolean> {
  try {
    const run = await getClient().workflow.getHandle(workflowId).describe();
    return run.status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

export function agentEndpointHandler(setup: AgentEndpointSetup) {
  /** The checked request's backing run, or a refusal (logged) naming why. */
  function backingOf(operation: AgentOperation, input: unknown, backing: (call: Record<string, unknown>, connection: Connection) => Backing | string) {
    const connection = setup.connection();
    answerBelongsTo(connection.id);
    const refuse = (reason: string): never => {
      setup.refused(`security: refused a ${operation} request at the endpoint of connection ${connection.id}: ${reason}`);
      throw new nexus.HandlerError('UNAUTHENTICATED', `Refused: ${reason}`);
    };
    const request = RequestSchema.safeParse(input);
    if (!request.success) return refuse('it is not a request of the central side');
    if (request.data.call.connectionId !== connection.id) return refuse(`it names connection ${request.data.call.connectionId}`);
    const found = backing(request.data.call, connection);
    if (typeof found === 'string') return refuse(found);
    if (!grantAllows(setup.verifyKey, request.data.grant, found.subject)) return refuse('its grant was not made by the central side for this request');
    return { call: request.data.call, ...found };
  }

  function operation<I extends AgentRequest<unknown>, O>(
    name: AgentOperation,
    backing: (call: Record<string, unknown>, connection: Connection) => Backing | string,
  ) {
    return new WorkflowRunOperationHandler<I, O>(async (ctx, input) => {
      const checked = backingOf(name, input, backing);
      const args: AgentSourceCallInput = { activity: name, args: ['argument' in checked ? checked.argument : checked.call], options: checked.options };
      // A repeated request joins the run already under way: never a second raise beside the first.
      const handle = await startWorkflow(ctx, agentSourceCall, { workflowId: checked.workflowId, args: [args], workflowIdConflictPolicy: 'USE_EXISTING' });
      return handle as unknown as WorkflowHandle<O>;
    });
  }

  const raiseBacking = (call: Record<string, unknown>, connection: Connection): Backing | string => {
    const raise = RaiseCallSchema.safeParse(call);
    if (!raise.success) return 'it is not a raise';
    return {
      subject: { connectionId: connection.id, operation: 'raise', orderCode: raise.data.channelOrderCode, document: raise.data.document },
      workflowId: agentCallWorkflowId('raise', connection.id, raise.data.channelOrderCode),
      options: raiseCallOptions(connection.orderRetryDays),
    };
  };
  const backedRaise = operation<AgentRequest<RaiseInSourceInput>, RaiseInSourceResult>('raiseInSource', raiseBacking);
  const raiseInSource = quickOrBackedRaise(setup, (input) => backingOf('raiseInSource', input, raiseBacking), backedRaise);

  const catalog = (connection: Connection): GrantSubject => ({ connectionId: connection.id, operation: 'catalog' });
  return nexus.serviceHandler(agentService, {
    raiseInSource,
    syncProductPages: operation('syncProductPages', (call, connection) => {
      const pass = PassCallSchema.safeParse(call);
      if (!pass.success) return 'it is not a run of pages';
      const from = typeof call.firstPage === 'number' ? String(call.firstPage) : `after-${String(call.cursor)}`;
      return {
        subject: catalog(connection),
        workflowId: agentCallWorkflowId('pages', connection.id, pass.data.passId, from),
        options: pageCallOptions(connection.pageRetryMinutes),
      };
    }),
    reconcileRemovedProducts: operation('reconcileRemovedProducts', (call, connection) => {
      const pass = PassCallSchema.safeParse(call);
      if (!pass.success) return 'it is not a removed-products step';
      return {
        subject: catalog(connection),
        workflowId: agentCallWorkflowId('reconcile', connection.id, pass.data.passId),
        options: pageCallOptions(connection.pageRetryMinutes),
      };
    }),
    probeSource: operation('probeSource', (_call, connection) => ({
      subject: catalog(connection),
      workflowId: agentCallWorkflowId('probe', connection.id),
      options: PROBE_CALL_OPTIONS,
      argument: connection.id,
    })),
  });
}

type RaiseHandler = nexus.OperationHandler<AgentRequest<RaiseInSourceInput>, RaiseInSourceResult>;

/**
 * The raise: tried at once and answered synchronously when it ends within the budget (no backing run,
 * no workflow tasks in the client's namespace); otherwise, or when an earlier try may have created
 * the order, or a backing run is under way, backed by a run as every other operation.
 */
function quickOrBackedRaise(
  setup: AgentEndpointSetup,
  check: (input: unknown) => { call: Record<string, unknown>; workflowId: string },
  backed: RaiseHandler,
): RaiseHandler {
  const quick = setup.quickRaise;
  if (!quick) return backed;
  /** The quick raises under way, by backing run id: a repeated request joins the one under way. */
  const underWay = new Map<string, Promise<nexus.HandlerStartOperationResult<RaiseInSourceResult>>>();
  return {
    async start(ctx, input) {
      const checked = check(input);
      const call = checked.call as unknown as RaiseInSourceInput;
      const joined = underWay.get(checked.workflowId);
      if (joined) return joined;
      const started = (async () => {
        if (await backingRunUnderWay(checked.workflowId)) return backed.start(ctx, input);
        let outcome: QuickRaise;
        try {
          outcome = await quick(call, QUICK_RAISE_BUDGET);
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          // The order's workflow reads the cause as it reads an activity's failure (workflows/failures.ts).
          throw new nexus.OperationError('failed', failure.message, { cause: failure });
        }
        if ('raised' in outcome) return nexus.HandlerStartOperationResult.sync(outcome.raised);
        setup.note?.(`the raise of order ${call.channelOrderCode} of connection ${call.connectionId} goes on in its backing run: ${outcome.why}`);
        return backed.start(ctx, { grant: input.grant, call: outcome.handOver });
      })();
      underWay.set(checked.workflowId, started);
      try {
        return await started;
      } finally {
        underWay.delete(checked.workflowId);
      }
    },
    cancel: (ctx, token) => backed.cancel(ctx, token),
  };
}
