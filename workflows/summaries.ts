// Pure text for people reading the Web UI or the CLI: what a sync or an order came to.
import type { InvalidRecord, ProductCounts } from '../contracts/activities';

const number = (n: number): string => n.toLocaleString('en-US');

function describeInvalid(records: InvalidRecord[], total: number): string {
  if (total === 0) return '';
  const listed = records.slice(0, 3).map((r) => `${r.code}: ${r.field}: ${r.reason}`);
  const more = total > listed.length ? `; ${number(total - listed.length)} more` : '';
  return `, ${number(total)} invalid (${listed.join('; ')}${more})`;
}

export function describeSyncSummary(
  result: ProductCounts & {
    connectionId: string;
    pages: number;
    removed: number;
    deactivated: number;
    invalidRecords: InvalidRecord[];
  },
): string {
  const removed =
    result.removed === 0
      ? ''
      : result.deactivated > 0
        ? `, ${number(result.removed)} removed from the source (sent as inactive)`
        : `, ${number(result.removed)} removed from the source (reported, not deleted)`;
  return (
    `${result.connectionId}: ${number(result.pages)} page(s), ${number(result.listed)} read, ` +
    `${number(result.pushed)} pushed, ${number(result.deleted)} sent as deleted, ` +
    `${number(result.unchanged)} unchanged, ${number(result.ignored)} ignored` +
    describeInvalid(result.invalidRecords, result.invalid) +
    removed
  );
}
