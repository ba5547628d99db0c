/**
 * Traces on a real dev server: this process traces (as OTEL_EXPORTER_OTLP_ENDPOINT asks) to an OTLP
 * receiver in the test, and runs the central and agent workers and the intake. An order announced by
 * the signed webhook is one trace, from the intake's span through the order's run to the source's
 * answer to the raise (raiseInSource, on the agent) and the write-back to Stock2Shop; a product pass is
 * another. No span, event, status or resource carries the order's customer (name, phone, address, email);
 * a failed step's span has no message (it may quote the source), and attributes are plain values.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { installTracing, type Tracing } from '../../worker/tracing';
import { freePort } from '../helpers/ports';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, WEBHOOK_SECRETS, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { callWebhook, orderNotification, orderWebhookUrl, startSignedIntake } from '../helpers/webhook';
import type { IntakeServer } from '../../client/intake';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
const SOURCE_ID = 101;

/** A span as OTLP/JSON carries it, with its resource. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  status?: { code?: number; message?: string };
  events?: { name: string; attributes?: OtlpAttribute[] }[];
}

type OtlpAttribute = { key: string; value: Record<string, unknown> };
type OtlpRequest = {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: (Omit<ReceivedSpan, 'attributes' | 'resource'> & { attributes?: OtlpAttribute[] })[] }[];
  }[];
};

const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));

/** The OTLP/HTTP receiver: records every request's body (JSON) and the spans in it. */
async function startReceiver(): Promise<{ server: Server; url: string; bodies: string[]; spans: ReceivedSpan[] }> {
  const bodies: string[] = [];
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        bodies.push(body);
        for (const resourceSpans of (JSON.parse(body) as OtlpRequest).resourceSpans ?? []) {
          const resource = attributesOf(resourceSpans.resource?.attributes);
          for (const scope of resourceSpans.scopeSpans ?? [])
            for (const span of scope.spans ?? []) spans.push({ ...span, attributes: attributesOf(span.attributes), resource });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}`, bodies, spans };
}

describe('traces', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let tracing: Tracing;
  let workers: { stop(): Promise<void> } | undefined;
  let intake: IntakeServer;

  before(async () => {
    receiver = await startReceiver();
    // Before the workers and the intake are made: they add the interceptors of the tracing installed.
    tracing = installTracing('test', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })!;
    assert.ok(tracing, 'the endpoint set: tracing on');
    env = await startDevServer();
    stack = await startStack(env, { omniItems: [KETTLE], omniConnection: { syncIntervalMinutes: 1440 }, isyncConnection: { syncIntervalMinutes: 1440 } });
    workers = await runBothWorkers(stack);
    intake = await startSignedIntake(env.client, stack);
  });
  after(async () => {
    await intake?.close();
    await workers?.stop();
    await tracing?.shutdown();
    await stack?.close();
    await env?.teardown();
    receiver?.server.close();
  });

  /** Flushes this process's spans until `probe` finds what it waits for in what the receiver got. */
  const received = <T>(probe: (spans: ReceivedSpan[]) => T | undefined, what: string) =>
    waitFor(async () => {
      await tracing.processor.forceFlush();
      return probe(receiver.spans);
    }, what);

  test('an order from the webhook is one trace: the intake, the run, the raise in the source, the write-back; no personal data in it', async () => {
    const order = makeOrder('WEB-TR-1', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);
    await stack.stock2shop.addOrder({ ...order, sources: [{ source_id: SOURCE_ID }] });
    const call = await callWebhook(orderWebhookUrl(intake.url, SOURCE_ID), {
      body: orderNotification(SOURCE_ID, order),
      secret: WEBHOOK_SECRETS[OMNI_CONNECTION_ID],
    });
    assert.equal(call.status, 202);
    const workflowId = raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-TR-1');
    assert.equal(((await env.client.workflow.getHandle(workflowId).result()) as OrderStatus).state, 'raised');

    const names = [
      'webhook add_order',
      'SignalWithStartWorkflow:raiseOrder',
      'RunWorkflow:raiseOrder',
      'RunActivity:raiseInSource',
      'RunActivity:writeBackSourceOrderCode',
    ];
    const spans = await received((all) => {
      const root = all.find((span) => span.name === 'webhook add_order' && span.attributes.temporalWorkflowId === workflowId);
      const inTrace = root ? all.filter((span) => span.traceId === root.traceId) : [];
      return names.every((name) => inTrace.some((span) => span.name === name)) ? { root: root!, inTrace } : undefined;
    }, 'the order’s spans');
    assert.equal(spans.root.parentSpanId ?? '', '', 'the webhook starts the trace');
    assert.equal(spans.root.attributes.connection_id, OMNI_CONNECTION_ID);
    // Every span of the order's run, whichever worker made it, is in that one trace.
    const ofTheOrder = receiver.spans.filter((span) => span.attributes.temporalWorkflowId === workflowId);
    assert.ok(ofTheOrder.length >= names.length);
    assert.deepEqual([...new Set(ofTheOrder.map((span) => span.traceId))], [spans.root.traceId]);
    // Each span's parent is in the trace too: one tree, rooted at the webhook.
    const ids = new Set(spans.inTrace.map((span) => span.spanId));
    for (const span of spans.inTrace) if (span !== spans.root) assert.ok(ids.has(span.parentSpanId ?? ''), `${span.name}: its parent is in the trace`);

    // Nothing of the customer anywhere: attributes, events, statuses, resources.
    const everything = receiver.bodies.join('\n');
    const customer = [order.customer, order.billing_address, order.shipping_address] as Record<string, unknown>[];
    const personal = customer.flatMap((part) =>
      ['first_name', 'last_name', 'email', 'phone', 'address1', 'address2', 'company'].map((field) => part?.[field]).filter((v): v is string => !!v),
    );
    assert.ok(personal.includes('Thandi') && personal.includes('+27 21 555 0101') && personal.includes('12 Loop Street'));
    for (const value of personal) assert.ok(!everything.includes(value), `"${value}" is not in any span`);
  });

  test('a failed step is an error span without its message; attributes are plain values, never the workflow’s memo or search attributes', async () => {
    const order = makeOrder('WEB-TR-2', [{ sku: 'GHOST-TR-9', qty: 1, price: 10 }]);
    await stack.stock2shop.addOrder({ ...order, sources: [{ source_id: SOURCE_ID }] });
    const call = await callWebhook(orderWebhookUrl(intake.url, SOURCE_ID), {
      body: orderNotification(SOURCE_ID, order),
      secret: WEBHOOK_SECRETS[OMNI_CONNECTION_ID],
    });
    assert.equal(call.status, 202);
    const workflowId = raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-TR-2');
    const failed = await received(
      (all) => all.find((span) => span.name === 'RunActivity:raiseInSource' && span.attributes.temporalWorkflowId === workflowId && span.status?.code === 2),
      'the failed raise',
    );
    assert.equal(failed.status?.message ?? '', '', 'no message: it may quote the source');
    for (const event of failed.events ?? []) assert.deepEqual(Object.keys(attributesOf(event.attributes)), ['exception.type']);
    // The unknown SKU is named only by the source's refusal: no span says it.
    assert.ok(!receiver.bodies.join('\n').includes('GHOST-TR-9'));
    const values = receiver.bodies.flatMap((body) =>
      ((JSON.parse(body) as OtlpRequest).resourceSpans ?? []).flatMap((r) =>
        (r.scopeSpans ?? []).flatMap((scope) => (scope.spans ?? []).flatMap((span) => span.attributes ?? [])),
      ),
    );
    assert.ok(values.length > 0);
    for (const { key, value } of values)
      assert.ok(['stringValue', 'intValue', 'boolValue', 'doubleValue'].includes(Object.keys(value)[0]!), `${key}: a plain value`);
    assert.ok(!values.some(({ key }) => ['memo', 'searchAttributes', 'lastFailure', 'lastResult'].includes(key)));
  });

  test('a product pass is one trace: its run and its pages on the agent', async () => {
    const workflowId = manualProductSyncWorkflowId(OMNI_CONNECTION_ID);
    const handle = await env.client.workflow.start('productSync', { taskQueue: CENTRAL_TASK_QUEUE, workflowId, args: [{ connectionId: OMNI_CONNECTION_ID }] });
    await handle.result();
    const spans = await received((all) => {
      const pages = all.find((span) => span.name === 'RunActivity:syncProductPages' && span.attributes.run_id === handle.firstExecutionRunId);
      const inTrace = pages ? all.filter((span) => span.traceId === pages.traceId) : [];
      const run = inTrace.find((span) => span.name === 'RunWorkflow:productSync');
      return run ? { run, inTrace } : undefined;
    }, 'the pass’s spans');
    assert.equal(spans.run.parentSpanId ?? '', '', 'a pass started on its own starts its trace');
    assert.ok(spans.inTrace.some((span) => span.name === 'RunActivity:describeConnection'));
    assert.equal(spans.run.resource['service.name'], 'stock2shop-engine');
    const orderTraces = new Set(
      receiver.spans.filter((span) => String(span.attributes.temporalWorkflowId ?? '').startsWith('raise-order/')).map((s) => s.traceId),
    );
    assert.ok(!orderTraces.has(spans.run.traceId), 'not in an order’s trace');
  });
});
