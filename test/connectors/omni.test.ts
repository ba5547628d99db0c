/** The Omni Accounts connector against the Omni simulator, started in-process on a free port. */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOmniSimulator } from '../../simulators';
import {
  AuthenticationError,
  createOmniConnector,
  MalformedAnswerError,
  RejectedBySourceError,
  TransientError,
  type OmniConnectorOptions,
} from '../../connectors';
import type { OmniSalesDocument } from '../../domain';
import { assertNoSecrets, rejectsWith } from './helpers';

const USER = 'Guest';
const PASSWORD = 'Omni-S3cret&(pw)';
const WRONG_PASSWORD = 'Wr0ng-Omni-pw!';
const COMPANY = 'Client  (PTY)LTD';
const SECRETS = [PASSWORD, WRONG_PASSWORD];

describe('Omni Accounts connector', () => {
  let sim: Awaited<ReturnType<typeof startOmniSimulator>>;
  let options: OmniConnectorOptions;

  before(async () => {
    sim = await startOmniSimulator({ port: 0, items: 2345, userName: USER, password: PASSWORD, companyName: COMPANY });
    options = { endpoint: sim.url, userName: USER, password: PASSWORD, companyName: COMPANY, timeoutMs: 2000 };
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    await sim.clearFaults();
    sim.clearRequests();
  });

  const omni = (overrides: Partial<OmniConnectorOptions> = {}) => createOmniConnector({ ...options, ...overrides });

  function documentFor(reference: string, stockCode: string): OmniSalesDocument {
    return {
      customer_account_code: 'CASH001',
      warehouse_code: '1',
      reference,
      rep_code: 'Sam',
      order_lines: [{ stock_code: stockCode, description: 'Test line', quantity: 2, selling_price: 100, vat_code: '1' }],
    };
  }

  function firstStockCode(): string {
    const first = sim.catalog()[0];
    assert.ok(first);
    return first.STOCKCODE;
  }

  test('ping answers with credentials in the query string, company form-encoded', async () => {
    const connector = omni();
    assert.equal(connector.kind, 'omni');
    await connector.ping();
    const [entry] = sim.requests();
    assert.ok(entry);
    assert.equal(entry.path, '/Company/');
    assert.deepEqual(entry.query, { UserName: USER, Password: '***', CompanyName: COMPANY });
  });

  test('pages through the whole catalog: every code once, the cursor ends null', async () => {
    const connector = omni();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await connector.listProducts(cursor, 1000);
      pages++;
      for (const record of page.records) seen.push(String(record.STOCKCODE));
      cursor = page.nextCursor;
    } while (cursor !== null && pages < 100);
    assert.equal(cursor, null);
    assert.equal(pages, 3);
    const expected = sim.catalog().map((item) => item.STOCKCODE);
    assert.equal(seen.length, expected.length);
    assert.equal(new Set(seen).size, seen.length);
    assert.deepEqual(seen, expected);
  });

  test('a page size above 1000 is capped, not refused; a page size of 0 is a programming error', async () => {
    const page = await omni().listProducts(null, 5000);
    assert.equal(page.records.length, 1000);
    await assert.rejects(omni().listProducts(null, 0), RangeError);
  });

  test('wrong password → AuthenticationError naming the login, never the password', async () => {
    const error = await rejectsWith(omni({ password: WRONG_PASSWORD }).ping(), AuthenticationError);
    assert.equal(error.system, 'omni');
    assert.equal(error.status, 401);
    assert.match(error.message, /Omni Accounts refused the login of user "Guest" of company "Client {2}\(PTY\)LTD".*Invalid username or password/);
    assertNoSecrets(error, SECRETS);
  });

  test('authFailure fault → AuthenticationError', async () => {
    await sim.setFaults({ authFailure: true });
    const error = await rejectsWith(omni().listProducts(null, 10), AuthenticationError);
    assertNoSecrets(error, SECRETS);
  });

  test('offline → TransientError with sourceUnreachable; back online, calls succeed', async () => {
    await sim.setOffline(true);
    const error = await rejectsWith(omni().ping(), TransientError);
    assert.equal(error.sourceUnreachable, true);
    assert.equal(error.operation, 'ping');
    assertNoSecrets(error, SECRETS);
    await sim.setOffline(false);
    await omni().ping();
  });

  test('503 → TransientError, the source answered (not unreachable)', async () => {
    await sim.setFaults({ errorRate: 1, status: 503 });
    const error = await rejectsWith(omni().listProducts(null, 10), TransientError);
    assert.equal(error.status, 503);
    assert.equal(error.sourceUnreachable, false);
    assert.equal(error.retryAfterMs, undefined);
    assertNoSecrets(error, SECRETS);
  });

  test('429 with Retry-After → TransientError with retryAfterMs', async () => {
    await sim.setFaults({ errorRate: 1, status: 429, retryAfterSeconds: 3 });
    const error = await rejectsWith(omni().findOrder('WEB-1'), TransientError);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 3000);
  });

  test('malformed body → MalformedAnswerError naming the operation and path', async () => {
    await sim.setFaults({ malformed: true });
    const error = await rejectsWith(omni().listProducts(null, 10), MalformedAnswerError);
    assert.equal(error.operation, 'listProducts');
    assert.equal(error.path, 'stock_items');
    assert.match(error.message, /listProducts.*stock_items/);
    await sim.setFaults({ malformed: 'text' });
    const html = await rejectsWith(omni().findOrder('WEB-1'), MalformedAnswerError);
    assert.equal(html.path, '(root)');
  });

  test('latency beyond the timeout → TransientError (timeout, source unreachable)', async () => {
    await sim.setFaults({ latencyMs: 800 });
    const started = Date.now();
    const error = await rejectsWith(omni({ timeoutMs: 200 }).ping(), TransientError);
    assert.ok(Date.now() - started < 750, 'the timeout cut the call short');
    assert.equal(error.sourceUnreachable, true);
    assert.match(error.message, /timeout/);
    assertNoSecrets(error, SECRETS);
  });

  test("unknown stock code → RejectedBySourceError with Omni's message", async () => {
    const error = await rejectsWith(omni().createOrder(documentFor('WEB-BAD-1', 'NO-SUCH-CODE')), RejectedBySourceError);
    assert.equal(error.sourceMessage, 'Stock code NO-SUCH-CODE not found');
    assert.equal(error.status, 422);
    assert.equal(error.retryable, false);
  });

  test("unknown customer account → RejectedBySourceError with Omni's message", async () => {
    const document = { ...documentFor('WEB-BAD-2', firstStockCode()), customer_account_code: 'NOBODY' };
    const error = await rejectsWith(omni().createOrder(document), RejectedBySourceError);
    assert.equal(error.sourceMessage, 'Customer account NOBODY not found');
  });

  test('create, then findOrder finds it; an unknown reference is null', async () => {
    const connector = omni();
    const created = await connector.createOrder(documentFor('WEB-1001', firstStockCode()));
    assert.match(created.sourceOrderCode, /^SO\d+$/);
    assert.deepEqual(await connector.findOrder('WEB-1001'), created);
    assert.equal(await connector.findOrder('WEB-NEVER'), null);
  });

  test('create whose response is lost → TransientError; findOrder finds it; a repeated create is idempotent', async () => {
    const connector = omni();
    await sim.setFaults({ loseCreateResponse: 1 });
    const lost = await rejectsWith(connector.createOrder(documentFor('WEB-2002', firstStockCode())), TransientError);
    assert.equal(lost.sourceUnreachable, true);
    assertNoSecrets(lost, SECRETS);

    const found = await connector.findOrder('WEB-2002');
    assert.ok(found);
    const stored = sim.orders().filter((doc) => doc.reference === 'WEB-2002');
    assert.equal(stored.length, 1);
    assert.equal(found.sourceOrderCode, stored[0]?.document_number);

    // A retried create (the activity did not look first) answers 409 and is turned into the same document.
    const again = await connector.createOrder(documentFor('WEB-2002', firstStockCode()));
    assert.deepEqual(again, found);
    assert.equal(sim.orders().filter((doc) => doc.reference === 'WEB-2002').length, 1);
  });

  test('a 409 on another document number (not our reference) stays a rejection', async () => {
    const connector = omni();
    await connector.createOrder({ ...documentFor('WEB-3001', firstStockCode()), document_number: 'WEB-3001' });
    const error = await rejectsWith(
      connector.createOrder({ ...documentFor('WEB-3002', firstStockCode()), document_number: 'WEB-3001' }),
      RejectedBySourceError,
    );
    assert.equal(error.status, 409);
    assert.equal(error.sourceMessage, 'Document number WEB-3001 already exists');
  });

  test("the password never reaches the simulator's request log unredacted", async () => {
    await omni().ping();
    for (const entry of sim.requests()) assert.ok(!JSON.stringify(entry).includes(PASSWORD));
  });
});
