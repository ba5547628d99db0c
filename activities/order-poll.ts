/** The order poll: every order Stock2Shop holds for a source with `add_order`, delivered to its workflow. */
import { Context } from '@temporalio/activity';
import { orderContentHash } from '../domain';
import type { DeliverWaitingOrdersResult } from '../contracts/activities';
import { deliverOrder } from '../temporal/deliver-order';
import type { ActivityContext } from './context';
import { asActivity } from './failures';
import { withHeartbeats } from './heartbeats';
import { periodicCheck } from './operator';

export function orderPollActivities(ctx: ActivityContext) {
  return {
    async deliverWaitingOrders(connectionId: string): Promise<DeliverWaitingOrdersResult> {
      return asActivity(async () => {
        const connection = ctx.connectionById(connectionId);
        const client = ctx.temporalClient('deliverWaitingOrders');
        // The poll runs every few minutes per connection: it carries the periodic check of the passes and alerts.
        if (Context.current().info.attempt === 1) await withHeartbeats(() => periodicCheck(ctx, connection));
        const { orders, withoutCode } = await ctx.stock2shopOf(connection).listOrdersToRaise(connection.stock2shop.sourceId);
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
