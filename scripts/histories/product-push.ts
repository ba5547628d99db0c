/**
 * The paths of `sync push` (`pushProducts`): a confined Omni connection's push through its agent's
 * endpoint, reading the catalog page by page until it has found its codes (one the source does not
 * have); an iSync push that waits for a running pass to end; one refused while a pass runs.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId } from '../../domain';
import type { pushProducts } from '../../workflows';
import type { PushProductsInput } from '../../contracts/workflows';
import { startDevServer } from '../../test/helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID } from '../../test/helpers/stack';
import { waitFor } from '../../test/helpers/orders';
import { recording, save, withEngine } from './recording';

const ITEMS = Array.from({ length: 7 }, (_, i) => ({
  STOCKCODE: `ITEM-0${i + 1}`,
  DESCRIPTION: `Item ${i + 1}`,
  EXTRADTLS8: 'ACTIVE',
  SELLINGPRICE1: 10 + i,
  OAvailable: i,
}));

const prices = [{ Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: 199, SellingPrice: 149 }];
const ISYNC_ITEMS = ['S', 'M', 'L', 'XL'].map((size, i) => ({
  JobProductID: 'TEE-01',
  SKU: `TEE-01-${size}`,
  JobDescription: 'Cotton T-Shirt',
  Size: size,
  AvailableUnits: 5 + i,
  WebSale: 'Active',
  PriceLists: prices,
}));

export async function recordProductPushPaths(): Promise<void> {
  const env = await startDevServer();
  const start = (workflowId: string, input: PushProductsInput): Promise<WorkflowHandle<typeof pushProducts>> =>
    env.client.workflow.start<typeof pushProducts>('pushProducts', { taskQueue: CENTRAL_TASK_QUEUE, workflowId, args: [input] });
  const options = { omniItems: ITEMS, omniConnection: { agent: {}, pageSize: 2 }, isyncItems: ISYNC_ITEMS, isyncConnection: { pageSize: 2 } };
  await withEngine(env, options, async (stack) => {
    recording.step = 'a confined push: two codes found on pages 2 and 3, one not in the source';
    const confined = await start(`product-push/${OMNI_CONNECTION_ID}/found-and-missing`, {
      connectionId: OMNI_CONNECTION_ID,
      codes: ['ITEM-03', 'ITEM-06', 'GHOST-9'],
      waitForPass: false,
    });
    const found = await confined.result();
    assert.deepEqual(
      found.found.map((f) => `${f.code} ${f.outcome}`),
      ['ITEM-03 pushed', 'ITEM-06 pushed'],
    );
    assert.deepEqual(found.notInSource, ['GHOST-9']);
    assert.equal(found.listed, ITEMS.length, 'read to the catalog’s end for the missing code');
    await save('product-push-confined-found-and-missing', confined);

    // A slow iSync keeps a manual pass running while the pushes start.
    const sku = 'TEE-01-M';
    await stack.isync.setFaults({ latencyMs: 1500 });
    const pass = await env.client.workflow.start('productSync', {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: manualProductSyncWorkflowId(ISYNC_CONNECTION_ID),
      args: [{ connectionId: ISYNC_CONNECTION_ID }],
    });
    await waitFor(
      async () => ((await pass.fetchHistory()).events?.some((e) => e.activityTaskScheduledEventAttributes) ? true : undefined),
      'the pass to start',
    );

    recording.step = 'a push refused while a pass runs';
    const refused = await start(`product-push/${ISYNC_CONNECTION_ID}/refused`, { connectionId: ISYNC_CONNECTION_ID, codes: [sku], waitForPass: false });
    const refusal = await refused.result();
    assert.equal(refusal.outcome, 'refused');
    assert.equal(refusal.runningPass, pass.workflowId);
    await save('product-push-refused-for-running-pass', refused);

    recording.step = 'a push waiting for a running pass to end';
    const waiting = await start(`product-push/${ISYNC_CONNECTION_ID}/waited`, { connectionId: ISYNC_CONNECTION_ID, codes: [sku], waitForPass: true });
    await waitFor(async () => ((await waiting.fetchHistory()).events?.some((e) => e.timerFiredEventAttributes) ? true : undefined), 'the push to wait');
    await stack.isync.clearFaults();
    await pass.result();
    const waited = await waiting.result();
    assert.equal(waited.outcome, 'done');
    assert.equal(waited.runningPass, pass.workflowId);
    assert.deepEqual(waited.found, [{ code: sku, outcome: 'pushed' }]);
    await save('product-push-isync-waited-for-pass', waiting);
  });
}
