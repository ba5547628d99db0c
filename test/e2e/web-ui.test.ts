/**
 * The Web UI as an integration engineer sees it, in headless Chromium: the workflow list filtered by
 * the project's search attributes, and an order's payloads decoded through the codec server in the
 * demo's loopback mode (no token anywhere) — and left as ciphertext when the codec server refuses
 * the Web UI (token mode: a Web UI without OIDC cannot send the header). Screenshots are kept under
 * test-output/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE } from '../../domain';
import { startCodecServer, type CodecServer } from '../../client/codec-server';
import type { CodecAuth } from '../../client/codec-auth';
import { EncryptionCodec, parseKeyRing } from '../../temporal/payload-codec';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { freePort } from '../helpers/ports';
import { makeOrder } from '../helpers/orders';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const outputDir = join(__dirname, '..', '..', 'test-output');

let env: TestWorkflowEnvironment;
let stack: Stack;
let browser: Browser;
let codec: CodecServer;
let codecPort: number;
let uiPort: number;
let workers: { stop(): Promise<void> } | undefined;

const startCodec = (auth: CodecAuth) =>
  startCodecServer({
    codec: new EncryptionCodec(parseKeyRing(TEST_KEY_RING_TEXT)),
    auth,
    port: codecPort,
    allowedOrigins: [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`],
    log: () => undefined,
  });

before(async () => {
  assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath}: run scripts/ensure-chromium.sh`);
  [codecPort, uiPort] = [await freePort(), await freePort()];
  codec = await startCodec({ kind: 'loopback' });
  env = await startDevServer({ uiPort, extraArgs: ['--ui-codec-endpoint', codec.uiEndpoint] });
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
  });
  workers = await runBothWorkers(stack);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(async () => {
  await browser?.close();
  await workers?.stop();
  await stack?.close();
  await env?.teardown();
  await codec?.close();
});

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: join(outputDir, name), fullPage: true });
}

test('the Web UI lists the sync and the order of a connection, found by their search attributes', async () => {
  await env.client.workflow.execute('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: 'product-sync/acme-omni/ui',
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  await stack.placeOrder(makeOrder('WEB-UI-1', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
  await env.client.workflow.getHandle('raise-order/acme-omni/WEB-UI-1').result();

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const query = encodeURIComponent(`ConnectionId="${OMNI_CONNECTION_ID}"`);
  await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows?query=${query}`);
  await page.getByText('product-sync/acme-omni/ui').first().waitFor({ timeout: 60_000 });
  await page.getByText('raise-order/acme-omni/WEB-UI-1').first().waitFor({ timeout: 60_000 });
  await screenshot(page, 'web-ui-workflows.png');

  await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows?query=${encodeURIComponent('ChannelOrderCode="WEB-UI-1"')}`);
  await page.getByText('raise-order/acme-omni/WEB-UI-1').first().waitFor({ timeout: 60_000 });
  assert.equal(await page.getByText('product-sync/acme-omni/ui').count(), 0, 'the order code filter shows only the order');
  await page.close();
});

test("an order's payloads are shown decoded through the loopback codec server, and stay ciphertext when it refuses", async () => {
  await stack.placeOrder(makeOrder('WEB-UI-2', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
  await env.client.workflow.getHandle('raise-order/acme-omni/WEB-UI-2').result();
  const { runId } = await env.client.workflow.getHandle('raise-order/acme-omni/WEB-UI-2').describe();
  const workflowPage = `http://localhost:${uiPort}/namespaces/default/workflows/${encodeURIComponent('raise-order/acme-omni/WEB-UI-2')}/${runId}/history`;

  const decoded = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const decodeCalls: { url: string; authorization: string | undefined }[] = [];
  decoded.on('request', (request) => {
    if (request.url().startsWith(codec.url)) decodeCalls.push({ url: request.url(), authorization: request.headers().authorization });
  });
  await decoded.goto(workflowPage);
  // The workflow's input, decoded by the codec server: the connection and the order's code.
  await decoded.getByText('"channelOrderCode": "WEB-UI-2"').first().waitFor({ timeout: 60_000 });
  await screenshot(decoded, 'web-ui-order-decoded.png');
  await decoded.close();
  // What the browser sent: the route and no credential (the UI adds `?preserveStorageRefs=true`).
  assert.ok(decodeCalls.length > 0);
  for (const call of decodeCalls) {
    assert.equal(new URL(call.url).pathname, '/codec/decode');
    assert.equal(call.authorization, undefined);
  }

  // The same UI, but the codec server now wants a bearer token the Web UI cannot send: no decoding.
  await codec.close();
  codec = await startCodec({ kind: 'token', token: 'a-token-this-web-ui-never-has' });
  const encoded = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
  await encoded.goto(workflowPage);
  const shown = (text: string) =>
    encoded.waitForFunction((t) => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(t), text, {
      timeout: 60_000,
    });
  await shown('Codec Server could not connect');
  await shown('Workflow Execution Completed');
  await screenshot(encoded, 'web-ui-order-encoded.png');
  assert.equal(await encoded.getByText('"channelOrderCode": "WEB-UI-2"').count(), 0, 'nothing decoded once the codec server refuses');
  await encoded.close();
});
