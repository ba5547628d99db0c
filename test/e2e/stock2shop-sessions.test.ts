/**
 * Stock2Shop as it is, on the real dev server with three central workers and an Omni agent as OS
 * processes sharing one Postgres: the central workers log in as one API user, the agent as one of
 * its own; Stock2Shop's tokens expire (all at once, in the middle of a product pass and a burst of
 * orders) and a login invalidates the user's earlier tokens; the account takes 6 requests a second,
 * all callers together. The pass and every order go on after one login per user, nothing is lost or
 * raised twice, and almost no call is refused for rate.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { progressQuery, type OrderStatus, type ProductSyncSummary } from '../../contracts/workflows';
import { startPostgres, type RunningPostgres } from '../../scripts/postgres';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, STOCK2SHOP_AGENT_USER, STOCK2SHOP_USERS, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const ACCOUNT_LIMIT = 6;
const ORDERS = 20;
const ITEMS = 300;

let postgres: RunningPostgres;
let env: TestWorkflowEnvironment;
let stack: Stack;
const processes: WorkerProcess[] = [];

before(async () => {
  postgres = await startPostgres();
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: Array.from({ length: ITEMS }, (_, i) => ({
      STOCKCODE: `S2S-${i}`,
      DESCRIPTION: `Item ${i}`,
      EXTRADTLS8: 'ACTIVE',
      SELLINGPRICE1: 10 + i,
      OAvailable: 50,
    })),
    omniConnection: {
      pageSize: 10,
      stock2shop: {
        sourceId: 101,
        credentialsRef: { username: 'ACME_S2S_USER', password: 'ACME_S2S_PASSWORD', webhookSecret: 'ACME_S2S_WEBHOOK_SECRET' },
        requestsPerSecond: ACCOUNT_LIMIT,
      },
    },
    stock2shopSimulator: { rateLimitPerSecond: ACCOUNT_LIMIT },
  });
  const shared = { DATABASE_URL: postgres.url, CENTRAL_WORKERS: '3' };
  for (let i = 0; i < 3; i++) processes.push(stack.spawnWorker('central', shared));
  // The agent's machine holds the same variables with its own user's values.
  processes.push(stack.spawnWorker('agent', { ...shared, ACME_S2S_USER: STOCK2SHOP_AGENT_USER.username, ACME_S2S_PASSWORD: STOCK2SHOP_AGENT_USER.password }));
});
after(async () => {
  for (const worker of processes) await worker.kill();
  await stack?.close();
  await env?.teardown();
  await postgres?.stop();
});

const loginsOf = (username: string) => stack.stock2shop.logins().filter((login) => login.username === username).length;

test('tokens expire mid-pass and mid-burst: the pass and every order go on after one login per user; the account limit holds across three central workers and the agent', async () => {
  const pass = await env.client.workflow.start('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `product-sync/${OMNI_CONNECTION_ID}/sessions`,
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  const codes = Array.from({ length: ORDERS }, (_, i) => `S2S-ORDER-${i}`);
  for (const code of codes) await stack.placeOrder(makeOrder(code, [{ sku: `S2S-${codes.indexOf(code)}`, qty: 1, price: 10 }]));

  // The pass under way and the orders arriving, both users logged in once: then every token expires at once.
  await waitFor(async () => ((await pass.query(progressQuery)).pages >= 3 ? true : undefined), 'the pass to be under way', 60_000);
  const before = { central: loginsOf(STOCK2SHOP_USERS[OMNI_CONNECTION_ID].username), agent: loginsOf(STOCK2SHOP_AGENT_USER.username) };
  assert.deepEqual(before, { central: 1, agent: 1 }, 'one login per user, however many processes share it');
  stack.stock2shop.expireTokens();
  const pagesAtExpiry = (await pass.query(progressQuery)).pages;
  const raisedAtExpiry = stack.stock2shop.orders().filter((held) => held.source_order_code !== null).length;
  assert.ok(pagesAtExpiry < ITEMS / 10, `the pass was still running when the tokens expired (page ${pagesAtExpiry})`);
  assert.ok(raisedAtExpiry < ORDERS, `orders were still being raised when the tokens expired (${raisedAtExpiry} raised)`);

  const statuses = await Promise.all(
    codes.map(async (code) => (await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).result()) as OrderStatus),
  );
  assert.deepEqual(
    statuses.filter((status) => status.state !== 'raised').map((status) => `${status.channelOrderCode}: ${status.state}`),
    [],
  );
  const summary = (await pass.result()) as ProductSyncSummary;
  assert.equal(summary.pages, ITEMS / 10);

  // Each order in Omni once, and written back once.
  const references = stack.omni.orders().map((document: { reference: string }) => document.reference);
  assert.deepEqual(
    codes.filter((code) => references.filter((r: string) => r === code).length !== 1),
    [],
  );
  for (const code of codes) assert.ok(stack.stock2shop.order(code).source_order_code, `${code} written back`);

  // One login per user for the one expiry: no loop, whichever of the three central workers found it first.
  const centralLogins = loginsOf(STOCK2SHOP_USERS[OMNI_CONNECTION_ID].username);
  const agentLogins = loginsOf(STOCK2SHOP_AGENT_USER.username);
  assert.equal(centralLogins, 2, 'the central workers logged in again once, together');
  assert.equal(agentLogins, 2, 'the agent logged in again once, and its pass went on');

  // The account's limit, all four processes together: the simulator refuses beyond it (429); almost nothing was refused.
  const calls = stack.stock2shop.requests().filter((entry) => entry.path.startsWith('/v1/') && entry.path !== '/v1/users/authenticate');
  const refused = calls.filter((entry) => entry.status === 429).length;
  assert.ok(refused <= Math.max(2, calls.length * 0.01), `${refused} of ${calls.length} calls refused for rate`);
  process.stdout.write(`# stock2shop sessions: ${calls.length} calls, ${refused} refused for rate, logins central ${centralLogins}, agent ${agentLogins}\n`);
});
