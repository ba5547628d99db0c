/** Order raise: the order read and mapped, then found or created in its source, exactly once. */
import { Context, log } from '@temporalio/activity';
import type { Connection } from '../domain';
import type { PreparedOrder, PrepareOrderInput, RaiseInSourceInput, RaiseInSourceResult, RaiseStage } from '../contracts/activities';
import { ApplicationFailure } from '@temporalio/common';
import { SYSTEM_LABEL, TransientError } from '../connectors/errors';
import type { ActivityContext } from './context';
import { asActivity, isUncertainCreate, sourceUnreachable, toActivityFailure, uncertainCreate } from './failures';
import { withHeartbeats } from './heartbeats';
import { sourceReachable } from './metrics';
import { prepareOrderFor } from './prepare-order';
import { whileWanted } from './source-guard';
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
        // Sticky across this activity's attempts (its heartbeats) and the order's (its input).
        const known = createSentAtOf(Context.current().info.heartbeatDetails);
        return raiseWithEvidence(ctx, connection, input, createKnowledge(known !== undefined ? known : input.createSentAt), ACTIVITY_PACE);
      });
    },
  };
}

/** How a try of the raise says where it stands and waits: an activity's heartbeats and sleep, or a quick raise's nothing. */
interface RaisePace {
  progress<T>(body: (beat: (details: Record<string, unknown>) => void) => Promise<T>): Promise<T>;
  sleep(ms: number): Promise<void>;
  /** Asked right before a create is sent: false once the caller stopped waiting for this try, so it sends no create. */
  mayCreate(): boolean;
}

const ACTIVITY_PACE: RaisePace = { progress: withHeartbeats, sleep: (ms) => Context.current().sleep(ms), mayCreate: () => true };

function createKnowledge(start: number | null | undefined): CreateKnowledge {
  let createSentAt = start;
  return { createSent: (at) => (createSentAt = at), createSentAt: () => createSentAt };
}

/** The raise, every failure carrying what it knows of its creates (`RaiseEvidence`). */
async function raiseWithEvidence(
  ctx: ActivityContext,
  connection: Connection,
  input: RaiseInSourceInput,
  known: CreateKnowledge,
  pace: RaisePace,
): Promise<RaiseInSourceResult> {
  try {
    return await raiseOnce(ctx, connection, input, known, pace);
  } catch (error) {
    const createSentAt = known.createSentAt();
    throw withRaiseEvidence(toActivityFailure(error), createSentAt === undefined ? undefined : { createSentAt, source: SYSTEM_LABEL[connection.sourceKind] });
  }
}

/** A quick raise's end: raised, or handed over to a run of the activity (with what it knows of its create). */
export type QuickRaise = { raised: RaiseInSourceResult } | { handOver: RaiseInSourceInput; why: string };

/** The quick raise stopped waiting before it sent a create: it sends none (the run it hands over to raises the order). */
class QuickRaiseStopped extends Error {}

/** When a quick raise stops waiting: before a create, and for a create's answer (it answers within the server's request timeout). */
export interface QuickRaiseBudget {
  /** No create sent by then: the raise is handed over, and this try sends none. */
  beforeCreateMs: number;
  /** A create sent: its answer is awaited until then, so a slow Omni's answer is reported as it is, not as "found". */
  answerMs: number;
}

/**
 * The raise tried at once, outside any activity (a confined agent's Nexus handler, which must answer
 * within seconds), for an order no earlier try may have created in the source. It ends raised, or with
 * a failure the activity would not retry either (a person's fix, a source that does not answer);
 * anything the activity would retry, and a try still under way past its budget, is handed over, with
 * the time a create was sent if one was.
 */
export async function quickRaise(ctx: ActivityContext, input: RaiseInSourceInput, budget: QuickRaiseBudget): Promise<QuickRaise> {
  if (typeof input.createSentAt === 'number') return { handOver: input, why: 'an earlier try may have created it' };
  const connection = ctx.connectionById(input.connectionId);
  const known = createKnowledge(input.createSentAt);
  let waiting = true;
  const pace: RaisePace = {
    progress: (body) => body(() => undefined),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    mayCreate: () => waiting,
  };
  const handOver = (why: string): QuickRaise => {
    const createSentAt = known.createSentAt();
    return { handOver: typeof createSentAt === 'number' ? { ...input, createSentAt } : input, why };
  };
  // Nothing it queued under the connection's limits is sent once it stopped waiting (a find waiting for its turn included).
  const attempt = whileWanted(
    () => waiting,
    () => raiseWithEvidence(ctx, connection, input, known, pace),
  ).then(
    (raised): QuickRaise => ({ raised }),
    (error: unknown): QuickRaise => {
      if (error instanceof ApplicationFailure && error.nonRetryable) throw error;
      return handOver(error instanceof Error ? error.message : String(error));
    },
  );
  // What the try still does once handed over (a find, or a create already sent) ends on its own; the run handed over looks again.
  attempt.catch(() => undefined);
  const started = Date.now();
  const within = async (ms: number): Promise<QuickRaise | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, ms))));
    try {
      return await Promise.race([attempt, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  const early = await within(budget.beforeCreateMs);
  if (early) return early;
  if (typeof known.createSentAt() !== 'number') {
    waiting = false;
    return handOver(`no answer from ${SYSTEM_LABEL[connection.sourceKind]} within ${budget.beforeCreateMs} ms`);
  }
  return (await within(budget.answerMs - (Date.now() - started))) ?? handOver(`its create got no answer within ${budget.answerMs} ms`);
}

/** One try of the raise: look for the order, create it only when the source is sure it has none. */
async function raiseOnce(
  ctx: ActivityContext,
  connection: Connection,
  input: RaiseInSourceInput,
  known: CreateKnowledge,
  pace: RaisePace,
): Promise<RaiseInSourceResult> {
  const { source, guard } = ctx.guardedSource(connection);
  const knownDownWithinMs = connection.sourceProbeSeconds * 2000;
  if (guard.isKnownDown(knownDownWithinMs)) throw sourceUnreachable(connection, 'it did not answer moments ago');
  const unreachable = (why: string) => {
    sourceReachable(connection.id, false);
    return sourceUnreachable(connection, why);
  };
  const raised = await pace.progress(async (beat) => {
    const stage = (name: RaiseStage, sourceOrderCode?: string) =>
      beat({ stage: name, ...(sourceOrderCode ? { sourceOrderCode } : {}), createSentAt: known.createSentAt() ?? null });
    // A create sent moments ago (by a try whose worker died) may still be committing: the find waits for it.
    const sentAt = known.createSentAt();
    const commitWaitMs = typeof sentAt === 'number' ? sentAt + connection.createCommitDelaySeconds * 1000 - Date.now() : 0;
    stage('finding');
    if (commitWaitMs > 0) await pace.sleep(commitWaitMs);
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
    if (!pace.mayCreate()) throw new QuickRaiseStopped('the quick raise stopped waiting before its create');
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
