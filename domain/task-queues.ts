/**
 * Task queue names. Pure constants: workflows import this file alone, so their bundle (and its
 * Worker Versioning build id) does not change when a connection's schema does.
 */

/** The task queue of the central worker (every workflow; iSync and Stock2Shop activities). */
export const CENTRAL_TASK_QUEUE = 'central';

/** The task queue of iSync's calls: served beside the central worker, with slots of its own. */
export const ISYNC_TASK_QUEUE = 'isync';

/** The task queue a connection's source activities run on: `omni/<id>` (the on-site agent) or `isync`. */
export function connectionTaskQueue(connection: { id: string; sourceKind: string }): string {
  return connection.sourceKind === 'omni' ? `omni/${connection.id}` : ISYNC_TASK_QUEUE;
}
