/**
 * The Grafana dashboard (ops/grafana/) and the Prometheus alert rules (ops/prometheus/) name only
 * metrics the engine exports: a central worker and an Omni agent run as their own processes with
 * METRICS_BIND_ADDRESS, do a little of everything (a pass of each connection, one with an invalid
 * record, a pass that fails, an order raised, one needing a person), and their `/metrics` are scraped; every metric an expression
 * of the dashboard or a rule reads must be among what they serve.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, raiseOrderWorkflowId } from '../../domain';
import { ENGINE_METRICS } from '../../contracts/engine-metrics';
import { ALERT_KINDS } from '../../store/alert-episodes';
import type { OrderStatus } from '../../contracts/workflows';
import { freePort } from '../helpers/ports';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { exportedMetricNames, metricNamesIn, metricNamesInVariableQuery } from '../helpers/promql';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
/** Invalid: a negative price. */
const LAMP = { STOCKCODE: 'LAMP-03', DESCRIPTION: 'Lamp', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: -5, OAvailable: 2 };
const OPS = join(__dirname, '..', '..', 'ops');
const DASHBOARD_FILE = join(OPS, 'grafana', 'stock2shop-engine.json');
const RULES_FILE = join(OPS, 'prometheus', 'stock2shop-engine.rules.yml');

interface Panel {
  title?: string;
  type: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query?: string } }[] };
}
interface RuleFile {
  groups: {
    name: string;
    rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
  }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
const rules = parseYaml(readFileSync(RULES_FILE, 'utf8')) as RuleFile;

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])]);
}

/** Every expression the dashboard runs, named by where it is. */
function dashboardExpressions(): { where: string; names: string[] }[] {
  const targets = panelsOf(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}" ${target.refId ?? ''}`, names: metricNamesIn(target.expr ?? '') })),
  );
  const variables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
      return { where: `variable $${variable.name}`, names: metricNamesInVariableQuery(query) };
    });
  return [...targets, ...variables];
}

function ruleExpressions(): { where: string; names: string[] }[] {
  return rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, names: metricNamesIn(rule.expr) })));
}

test('the dashboard and the rules are well formed: every query panel has a PromQL target, every engine alert kind has a rule', () => {
  assert.equal(dashboard.uid, 'stock2shop-engine');
  const panels = panelsOf(dashboard.panels).filter((panel) => panel.type !== 'row');
  assert.ok(panels.length >= 8, 'a panel for each of passes, pushed, invalid, orders raised, needing a person, source down, schedule-to-start, slots');
  for (const panel of panels) {
    assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has a query`);
    for (const target of panel.targets ?? []) assert.ok(metricNamesIn(target.expr ?? '').length > 0, `panel "${panel.title}" ${target.refId} reads a metric`);
  }
  const alerts = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
  assert.deepEqual([...new Set(alerts.map((rule) => rule.labels?.kind))].sort(), [...ALERT_KINDS].sort(), 'one rule (at least) per alert kind of the engine');
  for (const rule of alerts) {
    assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert}: a summary and a description`);
    assert.ok(rule.labels?.severity, `${rule.alert}: a severity`);
    assert.ok(balanced(rule.expr), `${rule.alert}: balanced parentheses and braces`);
  }
  const shown = new Set(dashboardExpressions().flatMap((e) => e.names));
  for (const { name } of Object.values(ENGINE_METRICS)) assert.ok(shown.has(name), `the dashboard shows ${name}`);
});

function balanced(expression: string): boolean {
  const closing: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const open: string[] = [];
  for (const char of expression.replace(/"(?:[^"\\]|\\.)*"/g, '')) {
    if ('([{'.includes(char)) open.push(char);
    else if (char in closing && open.pop() !== closing[char]) return false;
  }
  return open.length === 0;
}

describe('against what the workers export', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const workers: WorkerProcess[] = [];
  const ports: number[] = [];

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems: [KETTLE, LAMP], omniConnection: { syncIntervalMinutes: 1440 }, isyncConnection: { syncIntervalMinutes: 1440 } });
    for (const kind of ['central', 'agent'] as const) {
      const port = await freePort();
      ports.push(port);
      workers.push(stack.spawnWorker(kind, { METRICS_BIND_ADDRESS: `127.0.0.1:${port}` }));
    }
  });
  after(async () => {
    for (const worker of workers) await worker.kill();
    await stack?.close();
    await env?.teardown();
  });

  const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const pass = (connectionId: string) =>
    env.client.workflow
      .execute('productSync', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: manualProductSyncWorkflowId(connectionId), args: [{ connectionId }] })
      .then(
        () => true,
        () => false,
      );

  test('every metric a panel, a variable or a rule reads is on a worker’s /metrics', async () => {
    for (const port of ports) await waitFor(async () => ((await scrape(port).catch(() => '')).length > 0 ? true : undefined), 'the metrics endpoint', 90_000);
    // A pass of each: iSync's pages on the central worker, Omni's on its agent (one record invalid).
    assert.equal(await pass(ISYNC_CONNECTION_ID), true);
    assert.equal(await pass(OMNI_CONNECTION_ID), true);
    // A pass that fails (the source refuses the login).
    await stack.omni.setFaults({ authFailure: true });
    try {
      assert.equal(await pass(OMNI_CONNECTION_ID), false);
    } finally {
      await stack.omni.clearFaults();
    }
    // An order raised, and one needing a person (an unknown SKU).
    const sku = stack.isync.catalog()[0]!.SKU as string;
    await stack.placeOrder(makeOrder('OPS-1', [{ sku, qty: 1, price: 100 }]), ISYNC_CONNECTION_ID);
    await stack.placeOrder(makeOrder('OPS-2', [{ sku: 'GHOST-42', qty: 1, price: 10 }]), ISYNC_CONNECTION_ID);
    assert.equal(((await env.client.workflow.getHandle(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, 'OPS-1')).result()) as OrderStatus).state, 'raised');

    const exported = await waitFor(
      async () => {
        const names = new Set<string>();
        for (const port of ports) for (const name of exportedMetricNames(await scrape(port))) names.add(name);
        return Object.values(ENGINE_METRICS).every(({ name }) => names.has(name)) ? names : undefined;
      },
      'the metrics of the work done',
      60_000,
    );
    const missing = [...dashboardExpressions(), ...ruleExpressions()].flatMap(({ where, names }) =>
      names.filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`),
    );
    assert.deepEqual(missing, [], `not exported; the workers export:\n${[...exported].sort().join('\n')}`);
  });
});
