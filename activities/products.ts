/** Product sync: a pass's pages (listed from the source, pushed to Stock2Shop when changed), its removed-products step and its claim. */
import { Context } from '@temporalio/activity';
import type { Connection } from '../domain';
import {
  REMOVED_PRODUCTS_FAILURE_PREFIX,
  type ReconcileRemovedInput,
  type ReconcileRemovedResult,
  type SyncProductPageInput,
  type SyncProductPageResult,
  type SyncProductPagesInput,
  type SyncProductPagesResult,
} from '../contracts/activities';
import { TransientError } from '../connectors/errors';
import { otherRunningPass } from '../temporal/running-pass';
import type { ActivityContext } from './context';
import { asActivity } from './failures';
import { withHeartbeats, whileWaiting } from './heartbeats';
import { countFor, sourceReachable } from './metrics';
import { periodicCheck } from './operator';
import { deactivateRemovedProducts } from './product-pages';
import { resumePointOf, syncProductPageRun } from './product-page-run';

export function productActivities(ctx: ActivityContext) {
  return {
    /** One page: the activity of runs started before 'product-pages-in-chunks' (workflows/productSync.ts). */
    async syncProductPage(input: SyncProductPageInput): Promise<SyncProductPageResult> {
      return asActivity(() => syncPages(ctx, { ...input, maxPages: 1 }));
    },

    /** Up to `maxPages` pages, each listed while the one before is pushed (activities/product-page-run.ts). */
    async syncProductPages(input: SyncProductPagesInput): Promise<SyncProductPagesResult> {
      return asActivity(() => syncPages(ctx, input));
    },

    async reconcileRemovedProducts(input: ReconcileRemovedInput): Promise<ReconcileRemovedResult> {
      return asActivity(() => reconcilePass(ctx, ctx.connectionById(input.connectionId), input.passId));
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
        const other = await otherRunningPass(ctx.temporalClient('otherRunningPass'), ctx.deps.productStore, input.connectionId, own);
        // A connection without an order poll (order raising off) gets its periodic check here, at each pass's start.
        const connection = ctx.deps.connections().find((c) => c.id === input.connectionId);
        if (connection && !connection.settings.create_order) await periodicCheck(ctx, connection, { attempts: 1, attemptTimeoutMs: 3_000 });
        return other;
      });
    },
  };
}

/** The pass's removed-products step: products it never saw, deactivated when the connection asks; then the pass ends. Safe to repeat. */
async function reconcilePass(ctx: ActivityContext, connection: Connection, passId: string): Promise<ReconcileRemovedResult> {
  const { productStore } = ctx.deps;
  const removed = await productStore.unseenInPass(connection.id, passId);
  let deactivated = 0;
  if (connection.removedProducts === 'deactivate' && removed.length > 0) {
    deactivated = await deactivateRemovedProducts(connection, removed, ctx.stock2shopOf(connection), productStore);
  }
  // Records gone from the source never sync clean: their problems close with the pass.
  await ctx.problems?.closeProductProblemsUnseenInPass(connection.id, passId);
  await productStore.endPass(connection.id, passId);
  return { removed: removed.length, removedCodes: removed.slice(0, 50).map((p) => p.code), deactivated };
}

async function syncPages(ctx: ActivityContext, input: SyncProductPagesInput): Promise<SyncProductPagesResult> {
  const connection = ctx.connectionById(input.connectionId);
  const { source, guard } = ctx.guardedSource(connection);
  return withHeartbeats(async (beat) => {
    const run = await syncProductPageRun(
      input,
      {
        connection,
        listPage: async (cursor) => {
          const listed = await guard.whenReachable(() => source.listProducts(cursor, connection.pageSize), whileWaiting(beat));
          sourceReachable(connection.id, true);
          return listed;
        },
        stock2shop: ctx.stock2shopOf(connection),
        store: ctx.deps.productStore,
        problems: ctx.problems,
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
      return { ...run, removal: await reconcilePass(ctx, connection, input.passId) };
    } catch (error) {
      if (error instanceof Error) error.message = REMOVED_PRODUCTS_FAILURE_PREFIX + error.message;
      throw error;
    }
  }).catch((error: unknown) => {
    if (error instanceof TransientError && error.sourceUnreachable) sourceReachable(connection.id, false);
    throw error;
  });
}
