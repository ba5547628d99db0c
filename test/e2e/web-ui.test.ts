/**
 * The Web UI as an integration engineer sees it: after a product sync and an order, headless
 * Chromium opens the workflow list, filtered by the project's search attributes, and finds both.
 * A screenshot is kept under test-output/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE } from '../../domain';
import { deliverOrder } from '../../activities/deliver-order';
import { ensureTemporalBinaries } from '../../scripts/temporal-binaries';
import { projectSearchAttributes } from '../../workflows/search-attributes';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder } from '../helpers/orders';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const outputDir = join(__dirname, '..', '..', 'test-output');
const uiPort = 28233;

let env: TestWorkflowEnvironment;
let stack: Stack;
let browser: Browser;
let workers: { stop(): Promise<void> } | undefined;

before(async () => {
  assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath}: run scripts/ensure-chromium.sh`);
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: ensureTemporalBinaries().cli },
      searchAttributes: projectSearchAttributes,
      ui: true,
      uiPort,
    },
  });
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
  });
  workers = await runBothWorkers(stack);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await workers?.stop();
  await stack?.close();
  await env?.teardown();
});

test('the Web UI lists the sync and the order of a connection, found by their search attributes', async () => {
  await env.client.workflow.execute('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: 'product-sync/acme-omni/ui',
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  await deliverOrder(env.client, stack.connections[0]!, makeOrder('WEB-UI-1', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]), 'webhook');
  await env.client.workflow.getHandle('raise-order/acme-omni/WEB-UI-1').result();

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const query = encodeURIComponent(`ConnectionId="${OMNI_CONNECTION_ID}"`);
  await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows?query=${query}`);
  await page.getByText('product-sync/acme-omni/ui').first().waitFor({ timeout: 60_000 });
  await page.getByText('raise-order/acme-omni/WEB-UI-1').first().waitFor({ timeout: 60_000 });
  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: join(outputDir, 'web-ui-workflows.png'), fullPage: true });

  await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows?query=${encodeURIComponent('ChannelOrderCode="WEB-UI-1"')}`);
  await page.getByText('raise-order/acme-omni/WEB-UI-1').first().waitFor({ timeout: 60_000 });
  assert.equal(await page.getByText('product-sync/acme-omni/ui').count(), 0, 'the order code filter shows only the order');
});
