/** What Stock2Shop, the problem ledger and the alerts learn of an order: raised, needing a person, cancelled, changed too late. */
import { raiseOrderWorkflowId, type Connection } from '../domain';
import type { LateDeliveryInput, LateDeliveryReview, OrderWriteBack, RaisedOrderNotice } from '../contracts/activities';
import { orderProblemOf } from '../store/product-state';
import type { ActivityContext } from './context';
import { alwaysRetryable, asActivity } from './failures';
import { reviewClosedOrder } from './late-delivery';
import { countOnceFor } from './metrics';

export function orderReportActivities(ctx: ActivityContext) {
  return {
    /** Every failure is retried: once the source holds the order, Stock2Shop must learn its number, however long it takes. */
    async writeBackSourceOrderCode(input: OrderWriteBack & { sourceOrderCode: string }): Promise<void> {
      try {
        // The order is raised: it needs nobody any more, whatever Stock2Shop answers below.
        const connection = ctx.connectionById(input.connectionId);
        ctx.handOverIfSlow(connection);
        countOnceFor(connection.id, 'ordersRaised');
        await ctx.orderNeedsNobody(connection, input.channelOrderCode, `is raised, as ${input.sourceOrderCode}`);
        await ctx.stock2shopOf(connection).writeSourceOrderCode(input.channelOrderCode, connection.stock2shop.sourceId, input.sourceOrderCode);
      } catch (error) {
        throw alwaysRetryable(error);
      }
    },

    /** Called exactly when an order needs a person (or failed): it becomes an open problem, then Stock2Shop is told. */
    async writeBackOrderFailure(input: OrderWriteBack & { reason: string }): Promise<void> {
      return asActivity(async () => {
        await ctx.problems?.recordProblems(input.connectionId, [orderProblemOf(input.channelOrderCode, input.reason)]);
        const connection = ctx.connectionById(input.connectionId);
        countOnceFor(connection.id, 'ordersNeedingAttention');
        // Once per episode: a retry that fails again, or the same order announced again, sends nothing more.
        await ctx.alerter.conditionHolds(
          connection,
          'order_needs_attention',
          input.channelOrderCode,
          `${needsAPerson(connection, input.channelOrderCode)}. After the fix: npm run cli -- order retry ${connection.id} ${input.channelOrderCode}`,
        );
        await ctx.stock2shopOf(connection).writeOrderFailure(input.channelOrderCode, connection.stock2shop.sourceId, input.reason);
      });
    },

    /**
     * A person cancelled the order before it was raised, or skipped it (handled outside the engine): it
     * needs nobody any more, and Stock2Shop stops offering it (the skip of its queue item).
     */
    async writeBackOrderCancelled(input: OrderWriteBack & { reason: string; skipped?: boolean }): Promise<void> {
      return asActivity(async () => {
        const connection = ctx.connectionById(input.connectionId);
        const how = input.skipped ? 'is skipped: handled outside the engine; it is never raised' : 'is cancelled; it is never raised';
        // The reason (a person's words, or Stock2Shop's) goes to Stock2Shop only.
        await ctx.orderNeedsNobody(connection, input.channelOrderCode, how);
        await ctx.stock2shopOf(connection).writeOrderCancelled(input.channelOrderCode, connection.stock2shop.sourceId, input.reason);
      });
    },

    /** A raised order met something it cannot apply (a change, a cancel): an open problem, an alert, and Stock2Shop is told. */
    async reportRaisedOrderNotice(input: RaisedOrderNotice): Promise<void> {
      return asActivity(() => reportNotice(ctx, ctx.connectionById(input.connectionId), input));
    },

    /** An order delivered after its workflow closed: a change after the raise is reported, a terminated run ends cancelled. */
    async reviewClosedOrder(input: LateDeliveryInput): Promise<LateDeliveryReview> {
      return asActivity(async () => {
        const connection = ctx.connectionById(input.connectionId);
        return reviewClosedOrder(input, {
          client: ctx.temporalClient('reviewClosedOrder'),
          connection,
          stock2shop: ctx.stock2shopOf(connection),
          reportNotice: (notice) => reportNotice(ctx, connection, notice),
          // Its notice may hold the terminate reason a person typed: the alert says what happened in the engine's words.
          needsNobody: () =>
            ctx.orderNeedsNobody(connection, input.channelOrderCode, 'is cancelled: its workflow was terminated in Temporal; it is never raised'),
        });
      });
    },
  };
}

/**
 * The alert of an order needing a person, in the engine's words and codes: a reason may quote the
 * source (a customer's name), and an alert leaves Temporal in plain. The reason is in the order's
 * workflow (`order status`, the Web UI), and sealed in the problem ledger (`problems`).
 */
function needsAPerson(connection: Connection, channelOrderCode: string, raisedAs?: string): string {
  const raised = raisedAs ? ` (raised as ${raisedAs})` : '';
  return (
    `order ${channelOrderCode}${raised} needs a person: \`npm run cli -- order status ${connection.id} ${channelOrderCode}\` says why ` +
    `(the Web UI: ${raiseOrderWorkflowId(connection.id, channelOrderCode)})`
  );
}

async function reportNotice(ctx: ActivityContext, connection: Connection, notice: RaisedOrderNotice): Promise<void> {
  const { channelOrderCode, notice: what } = notice;
  await ctx.problems?.recordProblems(connection.id, [orderProblemOf(channelOrderCode, what)]);
  await ctx.alerter.conditionHolds(connection, 'order_needs_attention', channelOrderCode, needsAPerson(connection, channelOrderCode, notice.sourceOrderCode));
  await ctx.stock2shopOf(connection).writeOrderFailure(channelOrderCode, connection.stock2shop.sourceId, what);
}
