/** Order raise: the order read and mapped, then found or created in its source, exactly once. */
import { Context, log } from '@temporalio/activity';
import type { Connection } from '../domain';
import type { PreparedOrder, PrepareOrderInput, RaiseEvidence, RaiseInSourceInput, RaiseInSourceResult, RaiseStage } from '../contracts/activities';
import { SYSTEM_LABEL, TransientError } from '../connectors/errors';
import type { ActivityContext } from './context';
import { asActivity, isUncertainCreate, sourceUnreachable, toActivityFailure, uncertainCreate } from './failures';
import { withHeartbeats } from './heartbeats';
import { sourceReachable } from './metrics';
import { prepareOrderFor } from './prepare-order';
import { agentRouteFor } from './agent-routes';
import { createSentAtOf, withRaiseEvidence } from './raise-evidence';

/** What a try of the raise learns of its creates (a create sent, or the order proved absent). */
interface CreateKnowledge {
  createSent(at: number | null): void;
  createSentAt(): number | null | undefined;
}

export function orderActivities(ctx: ActivityContext) {
  return {
    /** Reads the order from Stock2Shop, validates it and maps it to the source's document. */
    async prepareOrder(input: PrepareOrderInput): Promise<PreparedOrder> {
      return asActivity(async () => {
        const connection = ctx.connectionById(input.connectionId);
        // A run of an older workflow may still hand on an order it was signalled: never used.
        if ('submittedOrder' in input) log.warn(`security: order ${input.channelOrderCode} came with an order of its own; ignored, read from Stock2Shop`);
        ctx.handOverIfSlow(connection);
        const prepared = await prepareOrderFor(connection, input, ctx.stock2shopOf(connection));
        if (prepared.outcome === 'ready') {
          const subject = { connectionId: connection.id, operation: 'raise', orderCode: input.channelOrderCode, document: prepared.document } as const;
          const agentRoute = agentRouteFor(ctx.deps, connection, subject);
          if (agentRoute) return { ...prepared, agentRoute };
        }
        // Raised before (Stock2Shop shows its source order code): it needs nobody any more.
        if (prepared.outcome === 'already_raised') {
          await ctx.orderNeedsNobody(connection, input.channelOrderCode, `was raised already, as ${prepared.sourceOrderCode}`);
        }
        return prepared;
      });
    },

    /**
     * Finds the order in the source, or creates it. A find proves identity (the exact order code) or
     * fails as unconfirmed; a create whose answer never came is retried as a find, after the
     * connection's commit delay. Both are what make a raise exactly-once. A source that does not
     * answer ends the attempt at once (the order waits in its workflow, holding no worker slot).
     */
    async raiseInSource(input: RaiseInSourceInput): Promise<RaiseInSourceResult> {
      return asActivity(async () => {
        const connection = ctx.connectionById(input.connectionId);
        const source = SYSTEM_LABEL[connection.sourceKind];
        // Sticky across this activity's attempts (its heartbeats) and the order's (its input).
        const known = createSentAtOf(Context.current().info.heartbeatDetails);
        let createSentAt = known !== undefined ? known : input.createSentAt;
        const evidence = (): RaiseEvidence | undefined => (createSentAt === undefined ? undefined : { createSentAt, source });
        try {
          return await raiseOnce(ctx, connection, input, {
            createSent: (at) => (createSentAt = at),
            createSentAt: () => createSentAt,
          });
        } catch (error) {
          throw withRaiseEvidence(toActivityFailure(error), evidence());
        }
      });
    },
  };
}

/** One try of the raise: look for the order, create it only when the source is sure it has none. */
async function raiseOnce(ctx: ActivityContext, connection: Connection, input: RaiseInSourceInput, known: CreateKnowledge): Promise<RaiseInSourceResult> {
  const { source, guard } = ctx.guardedSource(connection);
  const knownDownWithinMs = connection.sourceProbeSeconds * 2000;
  if (guard.isKnownDown(knownDownWithinMs)) throw sourceUnreachable(connection, 'it did not answer moments ago');
  const unreachable = (why: string) => {
    sourceReachable(connection.id, false);
    return sourceUnreachable(connection, why);
  };
  const raised = await withHeartbeats(async (beat) => {
    const stage = (name: RaiseStage, sourceOrderCode?: string) =>
      beat({ stage: name, ...(sourceOrderCode ? { sourceOrderCode } : {}), createSentAt: known.createSentAt() ?? null });
    // A create sent moments ago (by a try whose worker died) may still be committing: the find waits for it.
    const sentAt = known.createSentAt();
    const commitWaitMs = typeof sentAt === 'number' ? sentAt + connection.createCommitDelaySeconds * 1000 - Date.now() : 0;
    stage('finding');
    if (commitWaitMs > 0) await Context.current().sleep(commitWaitMs);
    let existing;
    try {
      existing = await source.findOrder(input.channelOrderCode);
    } catch (error) {
      if (error instanceof TransientError && error.sourceUnreachable) throw unreachable(error.message);
      throw error;
    }
    if (existing) {
      stage('found', existing.sourceOrderCode);
      return { sourceOrderCode: existing.sourceOrderCode, alreadyExisted: true };
    }
    // The source is sure it holds no such order: no earlier create reached it; this one may.
    known.createSent(Date.now());
    stage('creating');
    try {
      const created = await source.createOrder(input.document);
      stage('created', created.sourceOrderCode);
      return { sourceOrderCode: created.sourceOrderCode, alreadyExisted: false };
    } catch (error) {
      if (isUncertainCreate(error)) throw uncertainCreate(input.channelOrderCode, error as Error, connection.createCommitDelaySeconds * 1000);
      // Refused outright, or never delivered: this create made nothing.
      known.createSent(null);
      if (error instanceof TransientError && error.sourceUnreachable) throw unreachable(error.message);
      throw error;
    }
  });
  sourceReachable(connection.id, true);
  return raised;
}
