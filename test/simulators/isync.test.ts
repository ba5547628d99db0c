import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateISyncCatalog, startISyncSimulator, type ISyncProduct, type ISyncSimulator } from '../../simulators';
import { postJson } from './helpers';

const login = { UserName: 'ops@bravo.example', Password: 'isync-secret' };

async function withISync(options: Parameters<typeof startISyncSimulator>[0], body: (isync: ISyncSimulator) => Promise<void>) {
  const isync = await startISyncSimulator({ port: 0, userName: login.UserName, password: login.Password, ...options });
  try {
    await body(isync);
  } finally {
    await isync.close();
  }
}

const call = (isync: ISyncSimulator, operation: string, params: Record<string, unknown> = {}, credentials = login) =>
  postJson(`${isync.url}/UAT2EAI/MessageService.svc/${operation}`, { ...credentials, ...params });

test('GetProducts pages by SKU and returns every SKU exactly once', async () => {
  await withISync({ items: 1234 }, async (isync) => {
    const skus: string[] = [];
    let after: string | null = null;
    do {
      const { status, body } = await call(isync, 'GetProducts', { AfterSKU: after, PageSize: 500 });
      assert.equal(status, 200);
      assert.equal(body.Result, 'Success');
      skus.push(...body.Data.Products.map((product: ISyncProduct) => product.SKU));
      after = body.Data.NextAfterSKU;
    } while (after !== null);
    assert.equal(skus.length, 1234);
    assert.equal(new Set(skus).size, 1234);
    assert.deepEqual(skus, [...skus].sort());
  });
});

test('the generated catalog has variable and simple products, branch price lists and every WebSale flag', () => {
  const { items } = generateISyncCatalog(3000, 3);
  assert.equal(items.length, 3000);
  assert.deepEqual(generateISyncCatalog(3000, 3).items, items);
  const byProduct = new Map<string, ISyncProduct[]>();
  for (const item of items) byProduct.set(item.JobProductID, [...(byProduct.get(item.JobProductID) ?? []), item]);
  const variable = [...byProduct.values()].filter((group) => group.length > 1);
  assert.ok(variable.length > 50);
  for (const group of variable) {
    assert.equal(new Set(group.map((item) => item.JobDescription)).size, 1, 'variants share a title');
    assert.ok(group.every((item) => item.Size && item.Colour && item.SKU !== item.JobProductID));
  }
  assert.ok(
    [...byProduct.values()].some((group) => group.length === 1 && group[0]?.SKU === group[0]?.JobProductID),
    'simple products',
  );
  const flags = new Set(items.map((item) => item.WebSale?.toLowerCase()));
  assert.deepEqual([...flags].sort(), ['active', 'delete', 'ignore']);
  assert.ok(items.some((item) => item.PriceLists?.some((list) => list.Warehouse !== 'Master')));
  assert.equal(new Set(items.map((item) => item.Barcode).filter(Boolean)).size, items.length - 1, 'barcodes are unique (SHIP has none)');
});

test('malformed records are broken on purpose and named', async () => {
  await withISync({ items: 100, malformed: 4 }, async (isync) => {
    assert.equal(isync.malformedCodes.length, 4);
    const broken = isync.malformedCodes.map((sku) => isync.item(sku));
    assert.ok(broken.some((item) => item?.PriceLists?.some((list) => list.SellingPrice === 'abc')));
    assert.ok(broken.some((item) => item !== undefined && !('JobDescription' in item)));
  });
});

test('a wrong login answers 401 with an Error message', async () => {
  await withISync({ items: 5 }, async (isync) => {
    const wrong = await call(isync, 'Ping', {}, { ...login, Password: 'nope' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { Result: 'Error', Message: 'Invalid username or password' });
    const right = await call(isync, 'Ping', {}, { ...login, UserName: login.UserName.toUpperCase() });
    assert.deepEqual(right.body, { Result: 'Success', Data: { Company: 'Demo Outdoor' } });
    assert.equal((await call(isync, 'Nonsense')).status, 404);
  });
});

test('CreateOrder takes lines by SKU or barcode, numbers the order and refuses unknown items and repeats', async () => {
  await withISync({ items: 50 }, async (isync) => {
    const [first, second] = isync.catalog().filter((item) => item.Barcode);
    assert.ok(first && second);
    const order = (poNumber: string, lines: unknown[]) => ({
      Order: {
        PONumber: poNumber,
        CustomerCode: 'WEB',
        DeliveryDetail: { ContactName: 'Thandi Nkosi', Address1: '12 Loop Street', City: 'Cape Town', PostalCode: '8001', Country: 'South Africa' },
        Lines: lines,
      },
    });
    const lines = [
      { ProductStockID: first.SKU, Units: 2, SellingPrice: 199 },
      { ThirdPartyBarcode: second.Barcode, Units: 1, SellingPrice: 99 },
      { ProductStockID: 'SHIP', Units: 1, SellingPrice: 60, CnTypeID: 4 },
    ];
    const created = await call(isync, 'CreateOrder', order('WEB-1001', lines));
    assert.deepEqual(created.body, { Result: 'Success', Data: { OrderID: 'SO-000001' } });
    const repeat = await call(isync, 'CreateOrder', order('WEB-1001', lines));
    assert.deepEqual([repeat.status, repeat.body.Message], [422, 'PONumber WEB-1001 already exists']);
    const unknownSku = await call(isync, 'CreateOrder', order('WEB-1002', [{ ProductStockID: 'NOPE', Units: 1, SellingPrice: 1 }]));
    assert.deepEqual([unknownSku.status, unknownSku.body.Message], [422, 'Product stock item NOPE not found']);
    const unknownBarcode = await call(isync, 'CreateOrder', order('WEB-1003', [{ ThirdPartyBarcode: '0000000000000', Units: 1, SellingPrice: 1 }]));
    assert.deepEqual([unknownBarcode.status, unknownBarcode.body.Message], [422, 'Product stock item 0000000000000 not found']);

    const found = await call(isync, 'FindOrder', { PONumber: 'WEB-1001' });
    assert.deepEqual(found.body.Data, { Orders: [{ OrderID: 'SO-000001', PONumber: 'WEB-1001' }] });
    assert.deepEqual((await call(isync, 'FindOrder', { PONumber: 'WEB-404' })).body.Data, { Orders: [] });
    const [held] = isync.orders();
    assert.equal(held?.DeliveryDetail?.City, 'Cape Town');
    assert.deepEqual(
      held?.Lines.map((line) => line.Units),
      [2, 1, 1],
    );
  });
});

test('loseCreateResponse only loses CreateOrder answers', async () => {
  await withISync({ items: 10 }, async (isync) => {
    await isync.setFaults({ loseCreateResponse: 1 });
    assert.equal((await call(isync, 'Ping')).status, 200);
    const sku = isync.catalog()[0]?.SKU;
    await assert.rejects(call(isync, 'CreateOrder', { Order: { PONumber: 'WEB-7', Lines: [{ ProductStockID: sku, Units: 1, SellingPrice: 5 }] } }));
    assert.equal(isync.orders().length, 1);
    assert.equal((await call(isync, 'FindOrder', { PONumber: 'WEB-7' })).body.Data.Orders.length, 1);
  });
});

test('a 100,000-SKU catalog generates quickly', async () => {
  const started = Date.now();
  await withISync({ items: 100_000 }, async (isync) => {
    const { body } = await call(isync, 'GetProducts', { AfterSKU: isync.catalog()[50_000]?.SKU ?? null, PageSize: 500 });
    assert.equal(body.Data.Products.length, 500);
  });
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('commitDelayMs: an order still committing is not found and not a duplicate, so a repeat creates a second one', async () => {
  await withISync({ items: 10 }, async (isync) => {
    const sku = isync.catalog()[0]?.SKU;
    const order = { Order: { PONumber: 'WEB-SLOW', Lines: [{ ProductStockID: sku, Units: 1, SellingPrice: 5 }] } };
    const set = await postJson(`${isync.url}/_control/faults`, { commitDelayMs: 1500 });
    assert.equal(set.status, 200);
    const started = Date.now();

    assert.deepEqual((await call(isync, 'CreateOrder', order)).body.Data, { OrderID: 'SO-000001' });
    assert.deepEqual((await call(isync, 'FindOrder', { PONumber: 'WEB-SLOW' })).body.Data, { Orders: [] });
    const second = await call(isync, 'CreateOrder', order);
    assert.deepEqual([second.status, second.body.Data], [200, { OrderID: 'SO-000002' }]);
    assert.deepEqual(
      isync.orders().map((held) => held.PONumber),
      ['WEB-SLOW', 'WEB-SLOW'],
    );
    assert.ok(Date.now() - started < 1500, 'the window was still open');

    await sleep(1500 - (Date.now() - started) + 100);
    const found = await call(isync, 'FindOrder', { PONumber: 'WEB-SLOW' });
    assert.deepEqual(found.body.Data, {
      Orders: [
        { OrderID: 'SO-000001', PONumber: 'WEB-SLOW' },
        { OrderID: 'SO-000002', PONumber: 'WEB-SLOW' },
      ],
    });
    assert.equal((await call(isync, 'CreateOrder', order)).body.Message, 'PONumber WEB-SLOW already exists');
  });
});

test('ignoreFindFilter answers every order to FindOrder; omitFindReference leaves PONumber out', async () => {
  await withISync({ items: 10 }, async (isync) => {
    const sku = isync.catalog()[0]?.SKU;
    for (const poNumber of ['WEB-A', 'WEB-B', 'WEB-C']) {
      const created = await call(isync, 'CreateOrder', { Order: { PONumber: poNumber, Lines: [{ ProductStockID: sku, Units: 1, SellingPrice: 5 }] } });
      assert.equal(created.body.Result, 'Success');
    }
    const find = async (poNumber: string) => (await call(isync, 'FindOrder', { PONumber: poNumber })).body.Data.Orders;

    await isync.setFaults({ ignoreFindFilter: true });
    assert.deepEqual(
      (await find('WEB-A')).map((order: { PONumber: string }) => order.PONumber),
      ['WEB-A', 'WEB-B', 'WEB-C'],
    );

    await isync.setFaults({ ignoreFindFilter: false, omitFindReference: true });
    assert.deepEqual(await find('WEB-B'), [{ OrderID: 'SO-000002' }]);

    await isync.clearFaults();
    assert.deepEqual(await find('WEB-B'), [{ OrderID: 'SO-000002', PONumber: 'WEB-B' }]);
  });
});

test('with a data directory, orders survive a restart and numbering continues', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 's2s-sim-isync-'));
  const order = (poNumber: string, sku: string) => ({ Order: { PONumber: poNumber, Lines: [{ ProductStockID: sku, Units: 1, SellingPrice: 5 }] } });
  try {
    let sku = '';
    await withISync({ items: 10, dataDir }, async (isync) => {
      sku = isync.catalog()[0]!.SKU as string;
      assert.deepEqual((await call(isync, 'CreateOrder', order('WEB-1', sku))).body.Data, { OrderID: 'SO-000001' });
      assert.deepEqual((await call(isync, 'CreateOrder', order('WEB-2', sku))).body.Data, { OrderID: 'SO-000002' });
    });
    assert.ok(existsSync(join(dataDir, 'orders.json')));
    await withISync({ items: 10, dataDir }, async (isync) => {
      assert.deepEqual(
        isync.orders().map((o) => [o.PONumber, o.OrderID]),
        [
          ['WEB-1', 'SO-000001'],
          ['WEB-2', 'SO-000002'],
        ],
      );
      assert.deepEqual((await call(isync, 'FindOrder', { PONumber: 'WEB-2' })).body.Data, { Orders: [{ OrderID: 'SO-000002', PONumber: 'WEB-2' }] });
      assert.equal((await call(isync, 'CreateOrder', order('WEB-1', sku))).body.Message, 'PONumber WEB-1 already exists');
      assert.deepEqual((await call(isync, 'CreateOrder', order('WEB-3', sku))).body.Data, { OrderID: 'SO-000003' });
      assert.equal(((await (await fetch(`${isync.url}/_control/state`)).json()) as { data_dir: string }).data_dir, dataDir);
    });
    await withISync({ items: 10 }, async (isync) => assert.deepEqual(isync.orders(), []));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
