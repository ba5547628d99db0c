/**
 * The activities: thin functions over the connectors. Each reads its connection from the
 * configuration, calls the outside systems through the connection's guard, and turns failures into
 * the ones Temporal retries (transient) or hands to a person (non-retryable, with the cause).
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { connectionTaskQueue, orderContentHash, type Connection } from '../domain';
import type { SourceConnector, SourceSecrets, Stock2ShopClient } from '../connectors';
import { createSourceConnector } from '../connectors';
import type {
  ConnectionProfile,
  DeliverWaitingOrdersResult,
  OrderWriteBack,
  PreparedOrder,
  PrepareOrderInput,
  RaiseInSourceInput,
  RaiseInSourceResult,
  RaiseEvidence,
  RaisedOrderNotice,
  LateDeliveryInput,
  LateDeliveryReview,
  RaiseStage,
  SourceWaiter,
  ReconcileRemovedInput,
  ReconcileRemovedResult,
  SyncProductPageInput,
  SyncProductPageResult,
  SyncProductPagesInput,
  SyncProductPagesResult,
} from '../contracts/activities';
import { REMOVED_PRODUCTS_FAILURE_PREFIX } from '../contracts/activities';
import { deliverOrder } from '../temporal/deliver-order';
import { prepareOrderFor } from './prepare-order';
import {
  alwaysRetryable,
  asActivity,
  toActivityFailure,
  invalidConnection,
  isUncertainCreate,
  sourceUnreachable,
  uncertainCreate,
  unknownConnection,
} from './failures';
import { SYSTEM_LABEL, TransientError } from '../connectors/errors';
import { watchSourceFor } from '../temporal/source-watch';
import { otherRunningPass } from '../temporal/running-pass';
import { orderProblemOf, problemLedgerOf, type ProblemLedger, type ProductStateStore } from '../store/product-state';
import { deactivateRemovedProducts } from './product-pages';
import { resumePointOf, syncProductPageRun } from './product-page-run';
import { SourceGuard, type SourceGuardOptions, type WaitHooks } from './source-guard';
import { Alerter, alertLog, type AlerterOptions } from './alerts';
import { alertEpisodeStoreOf, type AlertEpisodeStore } from '../store/alert-episodes';
import { checkProductPasses } from './pass-check';
import { createSentAtOf, withRaiseEvidence } from './raise-evidence';
import { Stock2ShopLatency } from './stock2shop-latency';
import { reviewClosedOrder } from './late-delivery';
import { countFor, countOnceFor, sourceReachable } from './metrics';

export interface ActivityDeps {
  /** The connections in use (the valid ones, no I/O: `ConnectionRegistry`); a fixed file applies to the next retry. */
  connections: () => Connection[];
  /** Why a connection the file holds is not in use (it is invalid: the message names the field); undefined when it is not in the file. */
  connectionProblem?: (connectionId: string) => string | undefined;
  secretsOf: (connection: Connection) => SourceSecrets;
  stock2shopFor: (connection: Connection) => Stock2ShopClient;
  productStore: ProductStateStore;
  /** The problem ledger (`cli status`, `cli problems`); default: the product store's own. */
  problems?: ProblemLedger;
  /** Needed only by `deliverWaitingOrders` (the poll), which signals order workflows. */
  temporalClient?: Client;
  /**
   * How many central worker processes share the calls to a cloud source (CENTRAL_WORKERS): each applies
   * that share of the connection's request limits, so together they keep them. An Omni connection is
   * served by one agent at a time (its lease) and keeps its whole limits.
   */
  centralWorkers?: number;
  /** How the guards probe a source that is down; the defaults suit production (tests shorten them). */
  guardTiming?: Pick<SourceGuardOptions, 'probeIntervalMs' | 'maxWaitMs'>;
  /** Where alert episodes are kept; default: the product store's own (store/alert-episodes.ts). */
  alertEpisodes?: AlertEpisodeStore;
  /** How alerts are sent (the environment their webhook URL is read from, the sender, tries); the defaults suit production. */
  alerts?: AlerterOptions;
}

/**
 * Heartbeats every few seconds while `body` runs (a slow answer from a source is not a dead worker),
 * so the heartbeat timeout can stay short and a killed worker's task is retried elsewhere quickly.
 */
async function withHeartbeats<T>(body: (beat: (details: Record<string, unknown>) => void) => Promise<T>): Promise<T> {
  const context = Context.current();
  // The ticker repeats the latest details, so the pending activity always says where it stands.
  let latest: Record<string, unknown> | undefined;
  const beat = (details: Record<string, unknown>) => {
    latest = details;
    context.heartbeat(details);
  };
  const ticker = setInterval(() => context.heartbeat(latest), 5_000);
  try {
    return await body(beat);
  } finally {
    clearInterval(ticker);
  }
}

/** This process's share of a connection's request limits (see `ActivityDeps.centralWorkers`). */
export function requestLimitsOfThisProcess(connection: Connection, centralWorkers: number): { maxConcurrent: number; perSecond: number } {
  const share = connection.sourceKind === 'omni' ? 1 : Math.max(1, centralWorkers);
  return {
    maxConcurrent: Math.max(1, Math.floor(connection.requestLimits.maxConcurrent / share)),
    perSecond: connection.requestLimits.perSecond / share,
  };
}

/** Running as a local activity (false outside any activity, as when a test calls one directly). */
function isLocalActivity(): boolean {
  try {
    return Context.current().info.isLocal;
  } catch {
    return false;
  }
}

export function createActivities(deps: ActivityDeps) {
  /** One guard per connection, rebuilt when its endpoint, limits or credentials change. */
  const guards = new Map<string, { fingerprint: string; guard: SourceGuard }>();
  const problems = deps.problems ?? problemLedgerOf(deps.productStore);
  const alertEpisodes = deps.alertEpisodes ?? alertEpisodeStoreOf(deps.productStore);
  const alerter = new Alerter(alertEpisodes, deps.alerts);
  /** Every Stock2Shop call of the process timed per account (its token), so a local activity knows a slow one. */
  const latency = new Stock2ShopLatency();
  const stock2shopAccountOf = (connection: Connection) => connection.stock2shop.credentialsRef.token;
  const stock2shopOf = (connection: Connection) => latency.watch(deps.stock2shopFor(connection), stock2shopAccountOf(connection));
  /** A local activity hands a slow Stock2Shop to an activity task before it calls, holding no workflow-task slot. */
  const handOverIfSlow = (connection: Connection) => {
    if (isLocalActivity()) latency.handOverIfSlow(stock2shopAccountOf(connection));
  };

  /** An order needs nobody any more (raised, now or before): its problem closes and its alert episode ends. */
  async function orderNeedsNobody(connection: Connection, channelOrderCode: string, how: string): Promise<void> {
    await problems?.closeProblems(connection.id, 'order', [channelOrderCode]);
    await alerter.conditionEnded(connection, 'order_needs_attention', channelOrderCode, `order ${channelOrderCode} ${how}`);
  }
  /** A probe runs within 30 s, beside a ping: its alert gets a smaller budget (the next probe tries again). */
  const probeBudget = { attempts: 2, attemptTimeoutMs: 4_000 };
  /** The order code a probe looks for: no channel sends it, so the find answers "none" (or anything but silence). */
  const PROBE_ORDER_CODE = 'S2S-ENGINE-PROBE-0';

  /**
   * The periodic check of the connection's passes (activities/pass-check.ts), then every alert still
   * due; run by the order poll, and by a pass's start for a connection without one. Never fails its activity.
   */
  async function periodicCheck(connection: Connection, budget?: { attempts: number; attemptTimeoutMs: number }): Promise<void> {
    try {
      await checkProductPasses(temporalClient('periodic check'), connection, alerter, alertEpisodes, alertLog(), budget);
      await alerter.flush(connection, budget);
    } catch (error) {
      alertLog().warn(`The periodic check of ${connection.id} failed: ${(error as Error).message}`, { connectionId: connection.id });
    }
  }

  function connectionById(connectionId: string): Connection {
    const all = deps.connections();
    const connection = all.find((c) => c.id === connectionId);
    if (!connection) {
      const problem = deps.connectionProblem?.(connectionId);
      throw problem === undefined
        ? unknownConnection(
            connectionId,
            all.map((c) => c.id),
          )
        : invalidConnection(problem);
    }
    return connection;
  }

  /** The central worker's client, which the activities that start or signal workflows need. */
  function temporalClient(activity: string): Client {
    if (!deps.temporalClient) throw new Error(`${activity} needs a Temporal client in the activity dependencies`);
    return deps.temporalClient;
  }

  /** The connection's source, every request of it through the connection's guard. */
  function guardedSource(connection: Connection): { source: SourceConnector<unknown>; guard: SourceGuard } {
    const secrets = deps.secretsOf(connection);
    const source = createSourceConnector(connection, secrets) as SourceConnector<unknown>;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([connection.endpoint, connection.requestLimits, secrets]))
      .digest('hex');
    let entry = guards.get(connection.id);
    if (entry?.fingerprint !== fingerprint) {
      const guard = new SourceGuard(`${connection.sourceKind} source of ${connection.id}`, connection.sourceKind, () => source.ping(), {
        ...requestLimitsOfThisProcess(connection, deps.centralWorkers ?? 1),
        ...deps.guardTiming,
      });
      entry = { fingerprint, guard };
      guards.set(connection.id, entry);
    }
    const g = entry.guard;
    const guarded: SourceConnector<unknown> = {
      kind: source.kind,
      ping: () => g.request(() => source.ping()),
      listProducts: (cursor, pageSize) => g.request(() => source.listProducts(cursor, pageSize)),
      findOrder: (code) => g.request(() => source.findOrder(code)),
      createOrder: (document) => g.request(() => source.createOrder(document)),
    };
    return { source: guarded, guard: g };
  }

  const whileWaiting = (beat: (details: Record<string, unknown>) => void): WaitHooks => ({
    onWait: (details) => beat({ waitingForSource: true, ...details }),
    sleep: (ms) => Context.current().sleep(ms),
  });

  /** The pass's removed-products step: products it never saw, deactivated when the connection asks; then the pass ends. Safe to repeat. */
  async function reconcilePass(connection: Connection, passId: string): Promise<ReconcileRemovedResult> {
    const removed = await deps.productStore.unseenInPass(connection.id, passId);
    let deactivated = 0;
    if (connection.removedProducts === 'deactivate' && removed.length > 0) {
      deactivated = await deactivateRemovedProducts(connection, removed, stock2shopOf(connection), deps.productStore);
    }
    // Records gone from the source never sync clean: their problems close with the pass.
    await problems?.closeProductProblemsUnseenInPass(connection.id, passId);
    await deps.productStore.endPass(connection.id, passId);
    return { removed: removed.length, removedCodes: removed.slice(0, 50).map((p) => p.code), deactivated };
  }

  async function syncPages(input: SyncProductPagesInput): Promise<SyncProductPagesResult> {
    const connection = connectionById(input.connectionId);
    const { source, guard } = guardedSource(connection);
    const pages = await withHeartbeats(async (beat) => {
      const run = await syncProductPageRun(
        input,
        {
          connection,
          listPage: async (cursor) => {
            const listed = await guard.whenReachable(() => source.listProducts(cursor, connection.pageSize), whileWaiting(beat));
            sourceReachable(connection.id, true);
            return listed;
          },
          stock2shop: stock2shopOf(connection),
          store: deps.productStore,
          problems,
          heartbeat: beat,
          // Counted page by page, so the pages of an earlier attempt are not counted again.
          onPageDone: (page) => {
            countFor(connection.id, 'productsRead', page.listed);
            countFor(connection.id, 'productsPushed', page.pushed);
            countFor(connection.id, 'productsInvalid', page.invalid);
          },
        },
        resumePointOf(Context.current().info.heartbeatDetails),
      );
      if (!input.reconcileAtEnd || run.nextCursor !== null) return run;
      beat({ stage: 'reconciling', resume: run });
      try {
        return { ...run, removal: await reconcilePass(connection, input.passId) };
      } catch (error) {
        if (error instanceof Error) error.message = REMOVED_PRODUCTS_FAILURE_PREFIX + error.message;
        throw error;
      }
    }).catch((error: unknown) => {
      if (error instanceof TransientError && error.sourceUnreachable) sourceReachable(connection.id, false);
      throw error;
    });
    return pages;
  }

  async function reportRaisedOrderNoticeFor(connection: Connection, notice: RaisedOrderNotice): Promise<void> {
    const { channelOrderCode, notice: what } = notice;
    await problems?.recordProblems(connection.id, [orderProblemOf(channelOrderCode, what)]);
    await alerter.conditionHolds(connection, 'order_needs_attention', channelOrderCode, `order ${channelOrderCode} needs a person: ${what}`);
    await stock2shopOf(connection).writeOrderFailure(channelOrderCode, connection.stock2shop.sourceId, what);
  }

  /**
   * One try of the raise: look for the order, create it only when the source is sure it has none.
   * `known` keeps what the try learns of its creates (a create sent, or the order proved absent).
   */
  async function raiseOnce(
    connection: Connection,
    input: RaiseInSourceInput,
    known: { createSent(at: number | null): void; createSentAt(): number | null | undefined },
  ): Promise<RaiseInSourceResult> {
    const { source, guard } = guardedSource(connection);
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

  return {
    async describeConnection(connectionId: string): Promise<ConnectionProfile> {
      return asActivity(async () => {
        const { credentialsRef: _secretsStayHere, ...profile } = connectionById(connectionId);
        return { ...profile, taskQueue: connectionTaskQueue(profile) };
      });
    },

    /** One page: the activity of runs started before 'product-pages-in-chunks' (workflows/productSync.ts). */
    async syncProductPage(input: SyncProductPageInput): Promise<SyncProductPageResult> {
      return asActivity(() => syncPages({ ...input, maxPages: 1 }));
    },

    /** Up to `maxPages` pages, each listed while the one before is pushed (activities/product-page-run.ts). */
    async syncProductPages(input: SyncProductPagesInput): Promise<SyncProductPagesResult> {
      return asActivity(() => syncPages(input));
    },

    async reconcileRemovedProducts(input: ReconcileRemovedInput): Promise<ReconcileRemovedResult> {
      return asActivity(() => reconcilePass(connectionById(input.connectionId), input.passId));
    },

    /** Reads the order from Stock2Shop (or takes an operator's), validates it and maps it to the source's document. */
    async prepareOrder(input: PrepareOrderInput): Promise<PreparedOrder> {
      return asActivity(async () => {
        const connection = connectionById(input.connectionId);
        handOverIfSlow(connection);
        const prepared = await prepareOrderFor(connection, input, stock2shopOf(connection));
        // Raised before (Stock2Shop shows its source order code): it needs nobody any more.
        if (prepared.outcome === 'already_raised') {
          await orderNeedsNobody(connection, input.channelOrderCode, `was raised already, as ${prepared.sourceOrderCode}`);
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
        const connection = connectionById(input.connectionId);
        const source = SYSTEM_LABEL[connection.sourceKind];
        // Sticky across this activity's attempts (its heartbeats) and the order's (its input).
        const known = createSentAtOf(Context.current().info.heartbeatDetails);
        let createSentAt = known !== undefined ? known : input.createSentAt;
        const evidence = (): RaiseEvidence | undefined => (createSentAt === undefined ? undefined : { createSentAt, source });
        try {
          return await raiseOnce(connection, input, {
            createSent: (at) => (createSentAt = at),
            createSentAt: () => createSentAt,
          });
        } catch (error) {
          throw withRaiseEvidence(toActivityFailure(error), evidence());
        }
      });
    },

    /**
     * One probe of a connection's source (on its task queue): does it answer at all? The source watch
     * runs it while the source is down, so it also keeps the `source_down` alert: the episode begins at
     * the first probe without an answer, its alert goes out once that is `alerts.sourceDownMinutes`
     * ago, and its recovery at the first probe that gets an answer.
     */
    async probeSource(connectionId: string): Promise<boolean> {
      return asActivity(async () => {
        const connection = connectionById(connectionId);
        const { source } = guardedSource(connection);
        let reachable = true;
        let why = '';
        // The ping, then the path orders take: a find of a code no order has (a source whose ping answers
        // while its order path drops every connection is down for orders).
        for (const call of [() => source.ping(), () => source.findOrder(PROBE_ORDER_CODE)]) {
          try {
            await call();
          } catch (error) {
            // Any answer, even a refusal of the login, means the source is there.
            reachable = !(error instanceof TransientError && error.sourceUnreachable);
            why = (error as Error).message;
            if (!reachable) break;
          }
        }
        sourceReachable(connection.id, reachable);
        const label = `the ${SYSTEM_LABEL[connection.sourceKind]} source`;
        if (reachable) await alerter.conditionEnded(connection, 'source_down', 'source', `${label} answers again`, probeBudget);
        else
          await alerter.conditionHolds(
            connection,
            'source_down',
            'source',
            `${label} has not answered for over ${connection.alerts.sourceDownMinutes} min; orders wait for it (last error: ${why})`,
            probeBudget,
          );
        return reachable;
      });
    },

    /**
     * Another pass of the connection that is running now (the schedule's, or a manual one), if any;
     * none: this pass has taken the connection's pass claim (temporal/running-pass.ts). Two passes at
     * once would each see only part of the catalog.
     */
    async otherRunningPass(input: { connectionId: string; workflowId: string }): Promise<string | null> {
      return asActivity(async () => {
        // Always called by a pass, so its run is known (the field is optional only for activities started on their own).
        const own = { workflowId: input.workflowId, runId: Context.current().info.workflowExecution?.runId ?? '' };
        const other = await otherRunningPass(temporalClient('otherRunningPass'), deps.productStore, input.connectionId, own);
        // A connection without an order poll (order raising off) gets its periodic check here, at each pass's start.
        const connection = deps.connections().find((c) => c.id === input.connectionId);
        if (connection && !connection.settings.create_order) await periodicCheck(connection, { attempts: 1, attemptTimeoutMs: 3_000 });
        return other;
      });
    },

    /** Puts an order on the list of the connection's source watch (starting the watch when needed). */
    async registerSourceWaiter(waiter: SourceWaiter): Promise<void> {
      return asActivity(async () => {
        await watchSourceFor(temporalClient('registerSourceWaiter'), waiter);
      });
    },

    /** Every failure is retried: once the source holds the order, Stock2Shop must learn its number, however long it takes. */
    async writeBackSourceOrderCode(input: OrderWriteBack & { sourceOrderCode: string }): Promise<void> {
      try {
        // The order is raised: it needs nobody any more, whatever Stock2Shop answers below.
        const connection = connectionById(input.connectionId);
        handOverIfSlow(connection);
        countOnceFor(connection.id, 'ordersRaised');
        await orderNeedsNobody(connection, input.channelOrderCode, `is raised, as ${input.sourceOrderCode}`);
        await stock2shopOf(connection).writeSourceOrderCode(input.channelOrderCode, connection.stock2shop.sourceId, input.sourceOrderCode);
      } catch (error) {
        throw alwaysRetryable(error);
      }
    },

    /** Called exactly when an order needs a person (or failed): it becomes an open problem, then Stock2Shop is told. */
    async writeBackOrderFailure(input: OrderWriteBack & { reason: string }): Promise<void> {
      return asActivity(async () => {
        await problems?.recordProblems(input.connectionId, [orderProblemOf(input.channelOrderCode, input.reason)]);
        const connection = connectionById(input.connectionId);
        countOnceFor(connection.id, 'ordersNeedingAttention');
        // Once per episode: a retry that fails again, or the same order announced again, sends nothing more.
        await alerter.conditionHolds(
          connection,
          'order_needs_attention',
          input.channelOrderCode,
          `order ${input.channelOrderCode} needs a person: ${input.reason}. After the fix: npm run cli -- order retry ${connection.id} ${input.channelOrderCode}`,
        );
        await stock2shopOf(connection).writeOrderFailure(input.channelOrderCode, connection.stock2shop.sourceId, input.reason);
      });
    },

    /** A person cancelled the order before it was raised: it needs nobody any more, and Stock2Shop stops offering it. */
    async writeBackOrderCancelled(input: OrderWriteBack & { reason: string }): Promise<void> {
      return asActivity(async () => {
        const connection = connectionById(input.connectionId);
        await orderNeedsNobody(connection, input.channelOrderCode, input.reason);
        await stock2shopOf(connection).writeOrderCancelled(input.channelOrderCode, connection.stock2shop.sourceId, input.reason);
      });
    },

    /** A raised order met something it cannot apply (a change, a cancel): an open problem, an alert, and Stock2Shop is told. */
    async reportRaisedOrderNotice(input: RaisedOrderNotice): Promise<void> {
      return asActivity(async () => {
        const connection = connectionById(input.connectionId);
        await reportRaisedOrderNoticeFor(connection, input);
      });
    },

    /** An order delivered after its workflow closed: a change after the raise is reported, a terminated run ends cancelled. */
    async reviewClosedOrder(input: LateDeliveryInput): Promise<LateDeliveryReview> {
      return asActivity(async () => {
        const connection = connectionById(input.connectionId);
        return reviewClosedOrder(input, {
          client: temporalClient('reviewClosedOrder'),
          connection,
          stock2shop: stock2shopOf(connection),
          reportNotice: (notice) => reportRaisedOrderNoticeFor(connection, notice),
          needsNobody: (how) => orderNeedsNobody(connection, input.channelOrderCode, how),
        });
      });
    },

    /** The poll: every order Stock2Shop holds for this source with `add_order`, delivered to its workflow. */
    async deliverWaitingOrders(connectionId: string): Promise<DeliverWaitingOrdersResult> {
      return asActivity(async () => {
        const connection = connectionById(connectionId);
        const client = temporalClient('deliverWaitingOrders');
        // The poll runs every few minutes per connection: it carries the periodic check of the passes and alerts.
        if (Context.current().info.attempt === 1) await withHeartbeats(() => periodicCheck(connection));
        const { orders, withoutCode } = await stock2shopOf(connection).listOrdersToRaise(connection.stock2shop.sourceId);
        if (withoutCode > 0) {
          Context.current().log.warn('Stock2Shop listed orders without a channel_order_code; they cannot be raised', { withoutCode });
        }
        let delivered = 0;
        for (const order of orders) {
          await deliverOrder(client, connection, order.code, { via: 'poll', contentHash: orderContentHash(order.raw) });
          delivered += 1;
          Context.current().heartbeat({ delivered });
        }
        return { delivered, withoutCode };
      });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
