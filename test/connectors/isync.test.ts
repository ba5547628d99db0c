/** The iSync connector against the iSync simulator, started in-process on a free port. */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startISyncSimulator } from '../../simulators';
import {
  AuthenticationError,
  createISyncConnector,
  MalformedAnswerError,
  RejectedBySourceError,
  TransientError,
  type ISyncConnectorOptions,
} from '../../connectors';
import type { ISyncOrder } from '../../domain';
import { assertNoSecrets, rejectsWith } from './helpers';

const USER = 'orders@client.example';
const PASSWORD = 'iSync-S3cret"pw&';
const WRONG_PASSWORD = 'Wr0ng-iSync-pw!';
const SECRETS = [PASSWORD, WRONG_PASSWORD];

describe('iSync connector', () => {
  let sim: Awaited<ReturnType<typeof startISyncSimulator>>;
  let options: ISyncConnectorOptions;

  before(async () => {
    sim = await startISyncSimulator({ port: 0, items: 1234, userName: USER, password: PASSWORD });
    options = { endpoint: sim.url, userName: USER, password: PASSWORD, timeoutMs: 2000 };
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    await sim.clearFaults();
    sim.clearRequests();
  });

  const isync = (overrides: Partial<ISyncConnectorOptions> = {}) => createISyncConnector({ ...options, ...overrides });

  function firstProduct() {
    const first = sim.catalog()[0];
    assert.ok(first);
    return first;
  }

  function orderFor(poNumber: string, sku: string): ISyncOrder {
    return {
      PONumber: poNumber,
      CustomerCode: 'WEB001',
      DeliveryDetail: {
        ContactName: 'Thandi Mokoena',
        Company: '',
        Address1: '1 Long Street',
        Address2: '',
        City: 'Cape Town',
        Province: 'Western Cape',
        PostalCode: '8001',
        Country: 'South Africa',
        Phone: '0210000000',
      },
      Lines: [{ ProductStockID: sku, Units: 2, SellingPrice: 199 }],
    };
  }

  test('ping posts to the message service path', async () => {
    const connector = isync();
    assert.equal(connector.kind, 'isync');
    await connector.ping();
    const [entry] = sim.requests();
    assert.ok(entry);
    assert.equal(entry.method, 'POST');
    assert.equal(entry.path, '/UAT2EAI/MessageService.svc/Ping');
  });

  test('an endpoint that already names the service path is used as the service URL', async () => {
    await isync({ endpoint: `${sim.url}/UAT2EAI/MessageService.svc` }).ping();
    await isync({ endpoint: sim.url, servicePath: 'UAT2EAI/MessageService.svc/' }).ping();
  });

  test('pages through the whole catalog: every SKU once, the cursor ends null', async () => {
    const connector = isync();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await connector.listProducts(cursor, 500);
      pages++;
      for (const record of page.records) seen.push(String(record.SKU));
      cursor = page.nextCursor;
    } while (cursor !== null && pages < 100);
    assert.equal(cursor, null);
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, seen.length);
    assert.deepEqual(
      seen,
      sim.catalog().map((product) => product.SKU),
    );
  });

  test('a page size above 500 is capped', async () => {
    const page = await isync().listProducts(null, 1000);
    assert.equal(page.records.length, 500);
  });

  test('wrong password → AuthenticationError naming the login, never the password', async () => {
    const error = await rejectsWith(isync({ password: WRONG_PASSWORD }).ping(), AuthenticationError);
    assert.equal(error.system, 'isync');
    assert.equal(error.status, 401);
    assert.match(error.message, /iSync refused the login of user "orders@client\.example".*Invalid username or password/);
    assertNoSecrets(error, SECRETS);
  });

  test('offline → TransientError with sourceUnreachable', async () => {
    await sim.setOffline(true);
    const error = await rejectsWith(isync().listProducts(null, 20), TransientError);
    assert.equal(error.sourceUnreachable, true);
    assertNoSecrets(error, SECRETS);
    await sim.setOffline(false);
    await isync().ping();
  });

  test('503 → TransientError', async () => {
    await sim.setFaults({ errorRate: 1, status: 503 });
    const error = await rejectsWith(isync().findOrder('WEB-1'), TransientError);
    assert.equal(error.status, 503);
    assert.equal(error.sourceUnreachable, false);
  });

  test('429 with Retry-After → TransientError with retryAfterMs', async () => {
    await sim.setFaults({ errorRate: 1, status: 429, retryAfterSeconds: 2 });
    const error = await rejectsWith(isync().listProducts(null, 20), TransientError);
    assert.equal(error.retryAfterMs, 2000);
  });

  test('malformed body → MalformedAnswerError naming the operation and path', async () => {
    await sim.setFaults({ malformed: true });
    const error = await rejectsWith(isync().listProducts(null, 20), MalformedAnswerError);
    assert.equal(error.operation, 'GetProducts');
    assert.equal(error.path, 'Result');
    await sim.setFaults({ malformed: 'text' });
    const html = await rejectsWith(isync().ping(), MalformedAnswerError);
    assert.equal(html.path, '(root)');
  });

  test('latency beyond the timeout → TransientError', async () => {
    await sim.setFaults({ latencyMs: 800 });
    const error = await rejectsWith(isync({ timeoutMs: 200 }).ping(), TransientError);
    assert.equal(error.sourceUnreachable, true);
    assert.match(error.message, /timeout/);
  });

  test("unknown stock item → RejectedBySourceError with iSync's Message", async () => {
    const error = await rejectsWith(isync().createOrder(orderFor('WEB-BAD-1', 'NO-SUCH-SKU')), RejectedBySourceError);
    assert.equal(error.sourceMessage, 'Product stock item NO-SUCH-SKU not found');
    assert.equal(error.status, 422);
    assertNoSecrets(error, SECRETS);
  });

  test('lines by ThirdPartyBarcode are accepted', async () => {
    const product = firstProduct();
    assert.ok(product.Barcode, 'the generated catalog has barcodes');
    const order: ISyncOrder = {
      ...orderFor('WEB-BARCODE-1', product.SKU),
      Lines: [{ ThirdPartyBarcode: product.Barcode, Units: 1, SellingPrice: 99 }],
    };
    const created = await isync().createOrder(order);
    assert.match(created.sourceOrderCode, /^SO-\d+$/);
  });

  test('create, then findOrder finds it; an unknown PONumber is null', async () => {
    const connector = isync();
    const created = await connector.createOrder(orderFor('WEB-1001', firstProduct().SKU));
    assert.deepEqual(await connector.findOrder('WEB-1001'), created);
    assert.equal(await connector.findOrder('WEB-NEVER'), null);
  });

  test('create whose response is lost → TransientError; findOrder finds it; a repeated create is idempotent', async () => {
    const connector = isync();
    await sim.setFaults({ loseCreateResponse: 1 });
    const lost = await rejectsWith(connector.createOrder(orderFor('WEB-2002', firstProduct().SKU)), TransientError);
    assert.equal(lost.sourceUnreachable, true);
    assertNoSecrets(lost, SECRETS);

    const found = await connector.findOrder('WEB-2002');
    assert.ok(found);
    const stored = sim.orders().filter((order) => order.PONumber === 'WEB-2002');
    assert.equal(stored.length, 1);
    assert.equal(found.sourceOrderCode, stored[0]?.OrderID);

    const again = await connector.createOrder(orderFor('WEB-2002', firstProduct().SKU));
    assert.deepEqual(again, found);
    assert.equal(sim.orders().filter((order) => order.PONumber === 'WEB-2002').length, 1);
  });
});
