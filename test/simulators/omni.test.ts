import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOmniCatalog, startOmniSimulator, type OmniSimulator } from '../../simulators';
import { connectionFailure, getJson, OMNI_LOGIN, omniUrl, postJson } from './helpers';

const login = { userName: OMNI_LOGIN.UserName, password: OMNI_LOGIN.Password, companyName: OMNI_LOGIN.CompanyName };

async function withOmni(options: Parameters<typeof startOmniSimulator>[0], body: (omni: OmniSimulator) => Promise<void>) {
  const omni = await startOmniSimulator({ port: 0, ...login, ...options });
  try {
    await body(omni);
  } finally {
    await omni.close();
  }
}

async function pageAll(omni: OmniSimulator, limit: number): Promise<{ codes: string[]; pages: number }> {
  const codes: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const params: Record<string, string> = { limit: String(limit) };
    if (after !== null) params.after = after;
    const { status, body } = await getJson(omniUrl(omni.url, 'Stock Item', params));
    assert.equal(status, 200);
    codes.push(...body.stock_items.map((item: { STOCKCODE: string }) => item.STOCKCODE));
    after = body.next_after;
    pages++;
  } while (after !== null);
  return { codes, pages };
}

test('paging a 2,500-item catalog returns every code exactly once, in order', async () => {
  await withOmni({ items: 2500 }, async (omni) => {
    const { codes, pages } = await pageAll(omni, 1000);
    assert.equal(pages, 3);
    assert.equal(codes.length, 2500);
    assert.equal(new Set(codes).size, 2500);
    assert.deepEqual(codes, [...codes].sort());
    assert.deepEqual(
      codes,
      omni.catalog().map((item) => item.STOCKCODE),
    );
  });
});

test('a 100,000-item catalog generates and pages in a few seconds', async () => {
  const started = Date.now();
  await withOmni({ items: 100_000 }, async (omni) => {
    const { codes, pages } = await pageAll(omni, 1000);
    assert.equal(pages, 100);
    assert.equal(new Set(codes).size, 100_000);
  });
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('the generated catalog is realistic and the same for the same seed', () => {
  const { items } = generateOmniCatalog(5000, 7);
  assert.deepEqual(generateOmniCatalog(5000, 7).items, items);
  assert.notDeepEqual(generateOmniCatalog(5000, 8).items, items);
  const flags = new Set(items.map((item) => item.EXTRADTLS8));
  for (const flag of ['ACTIVE', 'DELETE', 'IGNORE']) assert.ok(flags.has(flag), flag);
  assert.ok(
    [...flags].some((flag) => flag !== undefined && flag !== flag.trim().toUpperCase()),
    'some odd case or spacing',
  );
  assert.ok(
    items.some((item) => typeof item.OAvailable === 'number' && item.OAvailable < 0),
    'some negative stock',
  );
  assert.ok(items.every((item) => typeof item.SELLINGPRICE1 === 'number' && typeof item.DESCRIPTION === 'string'));
  assert.ok(
    items.some((item) => item.STOCKCODE === 'SHIP'),
    'the courier item for shipping lines',
  );
});

test('malformed records are broken on purpose and named', async () => {
  await withOmni({ items: 200, malformed: 4 }, async (omni) => {
    assert.equal(omni.malformedCodes.length, 4);
    const broken = omni.malformedCodes.map((code) => omni.item(code));
    assert.ok(broken.some((item) => item?.SELLINGPRICE1 === 'abc'));
    assert.ok(broken.some((item) => item !== undefined && !('DESCRIPTION' in item)));
    const { body } = await getJson(`${omni.url}/_control/state`);
    assert.deepEqual(body.malformed_codes, omni.malformedCodes);
  });
});

test('wrong credentials answer 401 "Invalid username or password"; the password never reaches the log', async () => {
  await withOmni({ items: 10 }, async (omni) => {
    const wrong = await getJson(omniUrl(omni.url, 'Company', {}, { ...OMNI_LOGIN, Password: 'nope' }));
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { error: 'Invalid username or password' });
    const right = await getJson(omniUrl(omni.url, 'Company'));
    assert.deepEqual(right.body, { company_name: OMNI_LOGIN.CompanyName, version: '7.13.63 3345' });
    const log = omni.requests();
    assert.deepEqual(
      log.map((entry) => [entry.path, entry.status, entry.outcome]),
      [
        ['/Company/', 401, 'unauthorized'],
        ['/Company/', 200, 'answered'],
      ],
    );
    assert.ok(!JSON.stringify(log).includes('omni-secret'));
    assert.equal(log[1]?.query.Password, '***');
  });
});

test('a sales order is numbered, found by reference, and refused when wrong', async () => {
  const items = [
    { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 3 },
    { STOCKCODE: 'SHIP', DESCRIPTION: 'Courier', EXTRADTLS8: 'IGNORE', SELLINGPRICE1: 0, OAvailable: 0 },
  ];
  await withOmni({ items }, async (omni) => {
    const order = (reference: string, changes: Record<string, unknown> = {}) => ({
      customer_account_code: 'CASH001',
      warehouse_code: '1',
      reference,
      rep_code: 'Sam',
      order_lines: [{ stock_code: 'KETTLE-01', description: 'Kettle', quantity: 2, selling_price: 304.34, vat_code: '1' }],
      ...changes,
    });
    const url = omniUrl(omni.url, 'Sales Order');
    const first = await postJson(url, order('WEB-1'));
    assert.equal(first.status, 201);
    assert.equal(first.body.sales_order.document_number, 'SO000001');
    assert.equal((await postJson(url, order('WEB-2', { document_number: 'WEB-2' }))).body.sales_order.document_number, 'WEB-2');
    assert.equal((await postJson(url, order('WEB-3'))).body.sales_order.document_number, 'SO000002');

    assert.deepEqual(await postJson(url, order('WEB-1')).then((r) => [r.status, r.body]), [409, { error: 'Document reference WEB-1 already exists' }]);
    const refused = async (changes: Record<string, unknown>) => {
      const answer = await postJson(url, order('WEB-9', changes));
      assert.equal(answer.status, 422);
      return answer.body.error;
    };
    assert.equal(await refused({ customer_account_code: 'NOBODY' }), 'Customer account NOBODY not found');
    assert.equal(await refused({ warehouse_code: '9' }), 'Warehouse 9 not found');
    assert.equal(await refused({ order_lines: [{ stock_code: 'GHOST-99', quantity: 1, selling_price: 10 }] }), 'Stock code GHOST-99 not found');
    assert.equal(await refused({ order_lines: [] }), 'Sales order has no lines');

    const found = await getJson(omniUrl(omni.url, 'Sales Order', { reference: 'WEB-1' }));
    assert.deepEqual(
      found.body.sales_orders.map((d: { document_number: string }) => d.document_number),
      ['SO000001'],
    );
    assert.deepEqual((await getJson(omniUrl(omni.url, 'Sales Order', { reference: 'WEB-404' }))).body, { sales_orders: [] });
    assert.deepEqual(
      omni.orders().map((d) => d.reference),
      ['WEB-1', 'WEB-2', 'WEB-3'],
    );
  });
});

test('loseCreateResponse stores the order but the client sees a socket error, once', async () => {
  await withOmni({ items: 20 }, async (omni) => {
    await omni.setFaults({ loseCreateResponse: 1 });
    const stockCode = omni.catalog()[0]?.STOCKCODE ?? '';
    const body = JSON.stringify({
      customer_account_code: 'WEB001',
      reference: 'WEB-LOST',
      order_lines: [{ stock_code: stockCode, quantity: 1, selling_price: 10 }],
    });
    const code = await connectionFailure(omniUrl(omni.url, 'Sales Order'), { method: 'POST', body });
    assert.match(code, /UND_ERR_SOCKET|ECONNRESET/);
    assert.deepEqual(
      omni.orders().map((d) => d.reference),
      ['WEB-LOST'],
    );
    assert.equal(omni.requests().at(-1)?.outcome, 'fault:lost-response');
    assert.equal(omni.faults().loseCreateResponse, 0);
    const again = await getJson(omniUrl(omni.url, 'Sales Order', { reference: 'WEB-LOST' }));
    assert.equal(again.body.sales_orders.length, 1);
  });
});

test('the catalog can be changed while running, by handle and by control route', async () => {
  await withOmni({ items: [{ STOCKCODE: 'A1', DESCRIPTION: 'One', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 1, OAvailable: 1 }] }, async (omni) => {
    omni.addItem({ STOCKCODE: 'B2', DESCRIPTION: 'Two', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 2, OAvailable: 2 });
    omni.updateItem('A1', { SELLINGPRICE1: 1.5 });
    await fetch(`${omni.url}/_control/items`, { method: 'POST', body: JSON.stringify({ STOCKCODE: 'C3', DESCRIPTION: 'Three' }) });
    await fetch(`${omni.url}/_control/items/B2`, { method: 'DELETE' });
    const { body } = await getJson(omniUrl(omni.url, 'Stock Item', { limit: '10' }));
    assert.deepEqual(
      body.stock_items.map((item: { STOCKCODE: string }) => item.STOCKCODE),
      ['A1', 'C3'],
    );
    assert.equal(body.stock_items[0].SELLINGPRICE1, 1.5);
    assert.equal(body.next_after, null);
    assert.throws(() => omni.removeItem('B2'), /B2 not found/);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('commitDelayMs: a document still committing is not found, not listed and not a duplicate, so a repeat creates a second one', async () => {
  await withOmni({ items: 20 }, async (omni) => {
    const stockCode = omni.catalog()[0]?.STOCKCODE ?? '';
    const order = {
      customer_account_code: 'WEB001',
      reference: 'WEB-SLOW',
      document_number: 'WEB-SLOW',
      order_lines: [{ stock_code: stockCode, quantity: 1, selling_price: 10 }],
    };
    const url = omniUrl(omni.url, 'Sales Order');
    const set = await postJson(`${omni.url}/_control/faults`, { commitDelayMs: 1500 });
    assert.equal(set.status, 200);
    assert.equal(omni.faults().commitDelayMs, 1500);
    const started = Date.now();

    const first = await postJson(url, order);
    assert.equal(first.status, 201);
    assert.deepEqual((await getJson(omniUrl(omni.url, 'Sales Order', { reference: 'WEB-SLOW' }))).body, { sales_orders: [] });
    assert.deepEqual((await getJson(url)).body, { sales_orders: [] }, 'not listed either');
    const second = await postJson(url, order);
    assert.equal(second.status, 201, 'neither the reference nor the chosen number is seen as taken');
    const third = await postJson(url, { ...order, document_number: undefined });
    assert.equal(third.body.sales_order.document_number, 'SO000001', 'numbers are assigned at create time');
    assert.deepEqual(
      omni.orders().map((document) => document.reference),
      ['WEB-SLOW', 'WEB-SLOW', 'WEB-SLOW'],
    );
    assert.ok(Date.now() - started < 1500, 'the window was still open');

    await sleep(1500 - (Date.now() - started) + 100);
    const found = await getJson(omniUrl(omni.url, 'Sales Order', { reference: 'WEB-SLOW' }));
    assert.equal(found.body.sales_orders.length, 3);
    assert.equal((await getJson(url)).body.sales_orders.length, 3);
    assert.equal((await postJson(url, order)).status, 409, 'committed documents are duplicates again');
  });
});

test('ignoreFindFilter answers every document to a find; omitFindReference leaves the reference out', async () => {
  await withOmni({ items: 20 }, async (omni) => {
    const stockCode = omni.catalog()[0]?.STOCKCODE ?? '';
    const url = omniUrl(omni.url, 'Sales Order');
    for (const reference of ['WEB-A', 'WEB-B', 'WEB-C']) {
      const created = await postJson(url, {
        customer_account_code: 'WEB001',
        reference,
        order_lines: [{ stock_code: stockCode, quantity: 1, selling_price: 10 }],
      });
      assert.equal(created.status, 201);
    }
    const find = async (reference: string) => (await getJson(omniUrl(omni.url, 'Sales Order', { reference }))).body.sales_orders;

    await omni.setFaults({ ignoreFindFilter: true });
    assert.deepEqual(
      (await find('WEB-A')).map((document: { reference: string }) => document.reference),
      ['WEB-A', 'WEB-B', 'WEB-C'],
    );
    assert.equal((await find('WEB-404')).length, 3);

    await omni.setFaults({ ignoreFindFilter: false, omitFindReference: true });
    const [entry, ...rest] = await find('WEB-B');
    assert.deepEqual(rest, []);
    assert.equal(entry.document_number, 'SO000002');
    assert.equal('reference' in entry, false);
    assert.ok(
      (await getJson(url)).body.sales_orders.every((document: object) => 'reference' in document),
      'a listing is no find',
    );

    await omni.clearFaults();
    assert.equal((await find('WEB-B'))[0].reference, 'WEB-B');
  });
});

test('with a data directory, sales orders survive a restart and numbering continues', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 's2s-sim-omni-'));
  const items = [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 3 }];
  const order = (reference: string) => ({
    customer_account_code: 'CASH001',
    reference,
    order_lines: [{ stock_code: 'KETTLE-01', quantity: 1, selling_price: 304.34 }],
  });
  try {
    await withOmni({ items, dataDir }, async (omni) => {
      assert.equal((await postJson(omniUrl(omni.url, 'Sales Order'), order('WEB-1'))).body.sales_order.document_number, 'SO000001');
      assert.equal((await postJson(omniUrl(omni.url, 'Sales Order'), order('WEB-2'))).body.sales_order.document_number, 'SO000002');
    });
    assert.ok(existsSync(join(dataDir, 'sales-orders.json')));
    await withOmni({ items, dataDir }, async (omni) => {
      assert.deepEqual(
        omni.orders().map((d) => [d.reference, d.document_number]),
        [
          ['WEB-1', 'SO000001'],
          ['WEB-2', 'SO000002'],
        ],
      );
      const found = await getJson(omniUrl(omni.url, 'Sales Order', { reference: 'WEB-2' }));
      assert.deepEqual(
        found.body.sales_orders.map((d: { document_number: string }) => d.document_number),
        ['SO000002'],
      );
      const repeat = await postJson(omniUrl(omni.url, 'Sales Order'), order('WEB-1'));
      assert.deepEqual([repeat.status, repeat.body], [409, { error: 'Document reference WEB-1 already exists' }]);
      assert.equal((await postJson(omniUrl(omni.url, 'Sales Order'), order('WEB-3'))).body.sales_order.document_number, 'SO000003');
      assert.equal((await getJson(`${omni.url}/_control/state`)).body.data_dir, dataDir);
    });
    // Without a directory, nothing is kept (as before).
    await withOmni({ items }, async (omni) => assert.deepEqual(omni.orders(), []));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
