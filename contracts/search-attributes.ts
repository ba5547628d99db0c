import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The project's custom search attributes: they make every sync and order findable in the Web UI. */
export const ConnectionIdKey = defineSearchAttributeKey('ConnectionId', SearchAttributeType.KEYWORD);
export const SourceKindKey = defineSearchAttributeKey('SourceKind', SearchAttributeType.KEYWORD);
export const ChannelOrderCodeKey = defineSearchAttributeKey('ChannelOrderCode', SearchAttributeType.KEYWORD);
/**
 * Where an order stands, kept current by `raiseOrder` at every change of its state (`OrderState` of
 * contracts/workflows.ts: received, raising, needs_attention, raised, failed), so "orders needing a
 * person" is one visibility query: `OrderState = "needs_attention"`.
 */
export const OrderStateKey = defineSearchAttributeKey('OrderState', SearchAttributeType.KEYWORD);

export const projectSearchAttributes = [ConnectionIdKey, SourceKindKey, ChannelOrderCodeKey, OrderStateKey];
