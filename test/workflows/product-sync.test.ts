import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { productSync } from '../../workflows';
import { CENTRAL_TASK_QUEUE } from '../../domain';
import { ConnectionIdKey, SourceKindKey } from '../../contracts/search-attributes';
import { progressQuery } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, withWorkers, type Stack } from '../helpers/stack';

const omniItems = [
  { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Stainless Kettle 1.7L', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 },
  { STOCKCODE: 'TOASTER-02', DESCRIPTION: 'Two-slice Toaster', EXTRADTLS8: ' active ', SELLINGPRICE1: 299, OAvailable: -4 },
  { STOCKCODE: 'IRON-03', DESCRIPTION: 'Steam Iron', EXTRADTLS8: 'DELETE', SELLINGPRICE1: 199.5, OAvailable: 0 },
  { STOCKCODE: 'FAN-04', DESCRIPTION: 'Desk Fan', EXTRADTLS8: 'IGNORE', SELLINGPRICE1: 159, OAvailable: 7 },
  { STOCKCODE: 'HEATER-05', DESCRIPTION: 'Oil Heater', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 'abc', OAvailable: 3 },
  { STOCKCODE: 'LAMP-06', DESCRIPTION: 'Reading Lamp', EXTRADTLS8: 'Active', SELLINGPRICE1: 89.9, OAvailable: 40 },
];

const priceLists = (retail: number, wholesale: number) => [
  { Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: retail, SellingPrice: retail },
  { Warehouse: 'Master', PriceList: 'Wholesale', RetailSellingPrice: retail, SellingPrice: wholesale },
  { Warehouse: 'Cape Town', PriceList: 'Retail', RetailSellingPrice: retail + 10, SellingPrice: retail + 10 },
];
const isyncItems = [
  ...['S', 'M', 'L'].map((size, i) => ({
    JobProductID: 'TEE-01',
    SKU: `TEE-01-${size}`,
    Barcode: `600100000000${i}`,
    JobDescription: 'Cotton T-Shirt',
    Product: 'Apparel',
    Size: size,
    Colour: 'Black',
    AvailableUnits: 5 + i,
    WebSale: 'Active',
    PriceLists: priceLists(199, 149),
  })),
  { JobProductID: 'CAP-02', SKU: 'CAP-02', JobDescription: 'Sun Cap', AvailableUnits: 9, WebSale: 'Delete', PriceLists: priceLists(99, 70) },
  { JobProductID: 'BAG-03', SKU: 'BAG-03', JobDescription: 'Day Bag', AvailableUnits: 2, WebSale: 'Ignore', PriceLists: priceLists(499, 380) },
];

describe('product sync on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems, isyncItems, omniConnection: { pageSize: 2 } });
  });
  after(async () => {
    await stack?.close();
    await env?.teardown();
  });

  const runSync = async (connectionId: string, workflowId: string) => {
    const workers = [await stack.startCentralWorker(), await stack.startAgentWorker()];
    return withWorkers(workers, async () => {
      const handle = await env.client.workflow.start(productSync, {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId,
        args: [{ connectionId }],
      });
      const summary = await handle.result();
      // Queries are answered by a worker, so ask before the workers stop.
      const progress = await handle.query(progressQuery);
      return { summary, handle, progress };
    });
  };

  const receivedFor = (sourceId: number) =>
    stack.stock2shop.receivedProducts().filter((p: { source: { source_id: number } }) => p.source.source_id === sourceId);

  test('an Omni catalog arrives at Stock2Shop mapped, without IGNORE records, and the bad record is reported', async () => {
    const { summary, handle, progress } = await runSync(OMNI_CONNECTION_ID, 'product-sync/acme-omni/first');
    const received = receivedFor(101);
    const byCode = new Map(received.map((p: any) => [p.product.variants.sku, p]));

    assert.deepEqual([...byCode.keys()].sort(), ['IRON-03', 'KETTLE-01', 'LAMP-06', 'TOASTER-02']);
    const kettle: any = byCode.get('KETTLE-01');
    assert.equal(kettle.source.source_product_code, 'KETTLE-01');
    assert.equal(kettle.product.variants.source_variant_code, 'KETTLE-01');
    assert.equal(kettle.product.title, 'Stainless Kettle 1.7L');
    assert.equal(kettle.source.product_active, 'true');
    assert.equal(kettle.product.variants.price, 349.99);
    assert.equal(kettle.product.variants.qty, 12);
    assert.equal(kettle.product.variants.inventory_management, true);
    assert.equal((byCode.get('TOASTER-02') as any).product.variants.qty, 0, 'negative stock is sent as 0');
    assert.equal((byCode.get('IRON-03') as any).source.product_active, 'false', 'DELETE is pushed as inactive');

    assert.equal(summary.pages, 3);
    assert.equal(summary.listed, 6);
    assert.equal(summary.pushed, 3);
    assert.equal(summary.deleted, 1);
    assert.equal(summary.ignored, 1);
    assert.equal(summary.invalid, 1);
    assert.equal(summary.invalidRecords[0]?.code, 'HEATER-05');
    assert.equal(summary.invalidRecords[0]?.field, 'SELLINGPRICE1');
    assert.match(summary.summary, /HEATER-05: SELLINGPRICE1/);

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(ConnectionIdKey), OMNI_CONNECTION_ID);
    assert.equal(description.typedSearchAttributes.get(SourceKindKey), 'omni');
    assert.equal(progress.state, 'done');
    assert.equal(progress.pages, 3);
  });

  test('changing one price pushes exactly that one item on the next sync', async () => {
    const before = receivedFor(101).length;
    stack.omni.updateItem('LAMP-06', { SELLINGPRICE1: 99.9 });
    const { summary } = await runSync(OMNI_CONNECTION_ID, 'product-sync/acme-omni/second');
    const pushedNow = receivedFor(101).slice(before);
    assert.deepEqual(
      pushedNow.map((p: any) => [p.product.variants.sku, p.product.variants.price]),
      [['LAMP-06', 99.9]],
    );
    assert.equal(summary.pushed, 1);
    assert.equal(summary.unchanged, 3);
  });

  test('an iSync variable product of three variants arrives as three items of one product', async () => {
    const { summary } = await runSync(ISYNC_CONNECTION_ID, 'product-sync/bravo-isync/first');
    const received = receivedFor(202);
    const tees = received.filter((p: any) => p.source.source_product_code === 'TEE-01');
    assert.deepEqual(tees.map((p: any) => p.product.variants.sku).sort(), ['TEE-01-L', 'TEE-01-M', 'TEE-01-S']);
    const medium: any = tees.find((p: any) => p.product.variants.sku === 'TEE-01-M');
    assert.equal(medium.product.variants.source_variant_code, 'TEE-01-M');
    assert.equal(medium.product.title, 'Cotton T-Shirt');
    assert.equal(medium.product.variants.qty, 6);
    assert.equal(medium.product.variants.price, 199);
    assert.deepEqual(medium.product.variants.price_tiers, [
      { tier: 'Retail', price: 199 },
      { tier: 'Wholesale', price: 149 },
    ]);
    assert.equal(medium.product.variants.inventory_management, true);
    const cap: any = received.find((p: any) => p.product.variants.sku === 'CAP-02');
    assert.equal(cap.source.product_active, 'false');
    assert.equal(
      received.some((p: any) => p.product.variants.sku === 'BAG-03'),
      false,
      'IGNORE is never pushed',
    );
    assert.equal(summary.pushed, 3);
    assert.equal(summary.deleted, 1);
    assert.equal(summary.ignored, 1);
  });

  test('a product that leaves the source is reported, not deleted', async () => {
    stack.omni.removeItem('KETTLE-01');
    const before = receivedFor(101).length;
    const { summary } = await runSync(OMNI_CONNECTION_ID, 'product-sync/acme-omni/third');
    assert.equal(summary.removed, 1);
    assert.deepEqual(summary.removedCodes, ['KETTLE-01']);
    assert.equal(summary.deactivated, 0);
    assert.equal(receivedFor(101).length, before, 'nothing is pushed for it');
    assert.match(summary.summary, /1 removed from the source \(reported, not deleted\)/);
  });

  test("a page that keeps failing gives up after the connection's page window: the pass fails, saying which page and why", async () => {
    const connection = stack.connections.find((c) => c.id === ISYNC_CONNECTION_ID)!;
    const saved = connection.pageRetryMinutes;
    connection.pageRetryMinutes = 0.1; // six seconds
    await stack.isync.setFaults({ errorRate: 1, status: 500 });
    try {
      const workers = [await stack.startCentralWorker()];
      await withWorkers(workers, async () => {
        const handle = await env.client.workflow.start(productSync, {
          taskQueue: CENTRAL_TASK_QUEUE,
          workflowId: 'product-sync/bravo-isync/stuck',
          args: [{ connectionId: ISYNC_CONNECTION_ID }],
        });
        await assert.rejects(handle.result(), (error: Error) => {
          assert.match((error.cause as Error | undefined)?.message ?? '', /^Product sync of bravo-isync: page 1 \(after cursor start\) failed: .*HTTP 500/);
          return true;
        });
        assert.equal((await handle.describe()).status.name, 'FAILED');
      });
    } finally {
      connection.pageRetryMinutes = saved;
      await stack.isync.clearFaults();
    }
  });
});
