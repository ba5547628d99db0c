// One line of sync progress for a terminal: a bar that moves with each page (the catalog's size is
// not known ahead), and the counts the `progress` query returns.
import type { ProductSyncProgress } from '../contracts/workflows';

const WIDTH = 20;

export function renderProgress(progress: ProductSyncProgress): string {
  const filled = progress.state === 'done' ? WIDTH : progress.pages % (WIDTH + 1);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
  return (
    `${bar} ${progress.connectionId} ${progress.state}: page ${progress.pages}, ${progress.listed} read, ` +
    `${progress.pushed} pushed, ${progress.deleted} deleted, ${progress.unchanged} unchanged, ` +
    `${progress.ignored} ignored, ${progress.invalid} invalid`
  );
}
