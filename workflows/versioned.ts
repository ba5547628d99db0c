/**
 * The entry a worker with Worker Versioning bundles: the same workflows, each with its versioning
 * behaviour (an unversioned worker may not declare one, so it bundles `./index` alone).
 *  - PINNED: a run stays on the worker version that started it, and its continue-as-new runs too, so a
 *    pass (minutes) or a poll (seconds) never meets new code half-way; old versions drain as they end.
 *  - AUTO_UPGRADE: a run moves to the current version at its next workflow task. Orders wait up to
 *    30 days and a source watch for as long as an outage lasts: they cannot wait for an old version to
 *    drain, so every change to their command sequence goes behind `patched()` (docs/versioning.md).
 */
import { setWorkflowOptions } from '@temporalio/workflow';
import { pollOrders, productSync, pushProducts, raiseOrder, reviewLateDelivery, watchSource } from './index';

export * from './index';

setWorkflowOptions({ versioningBehavior: 'PINNED' }, productSync);
setWorkflowOptions({ versioningBehavior: 'PINNED' }, pollOrders);
setWorkflowOptions({ versioningBehavior: 'PINNED' }, reviewLateDelivery);
setWorkflowOptions({ versioningBehavior: 'PINNED' }, pushProducts);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, raiseOrder);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, watchSource);
