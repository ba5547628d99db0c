/** What Stock2Shop, the problem ledger and the alerts learn of an order: raised, needing a person, cancelled, changed too late. */
import type { Connection } from '../domain';
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
          `order ${input.channelOrderCode} needs a person: ${input.reason}. After the fix: npm run cli -- order retry ${connection.id} ${input.channelOrderCode}`,
        );
        await ctx.stock2shopOf(connection).writeOrderFailure(input.channelOrderCode, connection.stock2shop.sourceId, input.reason);
      });
    },

    /** A person cancelled the order before it was raised: it needs nobody any more, and Stock2Shop stops offering it. */
    async writeBackOrderCancelled(input: OrderWriteBack & { reason: string }): Promise<void> {
      return asActivity(async () => {
        const connection = ctx.connectionById(input.connectionId);
        await ctx.orderNeedsNobody(connection, input.channelOrderCode, input.reason);
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
          needsNobody: (how) => ctx.orderNeedsNobody(connection, input.channelOrderCode, how),
        });
      });
    },
  };
}

async function reportNotice(ctx: ActivityContext, connection: Connection, notice: RaisedOrderNotice): Promise<void> {
  const { channelOrderCode, notice: what } = notice;
  await ctx.problems?.recordProblems(connection.id, [orderProblemOf(channelOrderCode, what)]);
  await ctx.alerter.conditionHolds(connection, 'order_needs_attention', channelOrderCode, `order ${channelOrderCode} needs a person: ${what}`);
  await ctx.stock2shopOf(connection).writeOrderFailure(channelOrderCode, connection.stock2shop.sourceId, what);
}
