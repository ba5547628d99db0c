import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The project's custom search attributes: they make every sync and order findable in the Web UI. */
export const ConnectionIdKey = defineSearchAttributeKey('ConnectionId', SearchAttributeType.KEYWORD);
export const SourceKindKey = defineSearchAttributeKey('SourceKind', SearchAttributeType.KEYWORD);
export const ChannelOrderCodeKey = defineSearchAttributeKey('ChannelOrderCode', SearchAttributeType.KEYWORD);

export const projectSearchAttributes = [ConnectionIdKey, SourceKindKey, ChannelOrderCodeKey];
