import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { startDevServer, startTimeSkippingServer, testDataConverter } from './helpers/temporal';
import * as activities from './fixtures/activities';
import { greetingWorkflow, retriedAfterTwoDays } from './fixtures/workflows';
import { cachedWorkflowBundle } from '../worker/workflow-bundle';
import { workerTracing } from '../worker/tracing';
import { ConnectionIdKey } from '../contracts/search-attributes';

const fixtureWorkflows = require.resolve('./fixtures/workflows');

test('a workflow with a real activity completes on the real dev server', async () => {
  const env = await startDevServer();
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'harness',
      workflowBundle: await cachedWorkflowBundle(fixtureWorkflows, testDataConverter.failureConverterPath),
      dataConverter: testDataConverter,
      activities,
      // The bundle carries the tracing workflow interceptor: its spans go to this sink (discarded with tracing off).
      sinks: workerTracing().sinks,
    });
    const handle = await env.client.workflow.start(greetingWorkflow, {
      taskQueue: 'harness',
      workflowId: 'harness-greeting',
      args: ['Stock2Shop'],
      typedSearchAttributes: [{ key: ConnectionIdKey, value: 'harness-connection' }],
    });
    const result = await worker.runUntil(handle.result());
    assert.equal(result, `Hello, Stock2Shop, from process ${process.pid}`);
    const description = await handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.typedSearchAttributes.get(ConnectionIdKey), 'harness-connection');
  } finally {
    await env.teardown();
  }
});

test('on the time-skipping server, a retry after a 2-day backoff completes in seconds', async () => {
  const env = await startTimeSkippingServer();
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'harness-time',
      workflowBundle: await cachedWorkflowBundle(fixtureWorkflows, testDataConverter.failureConverterPath),
      dataConverter: testDataConverter,
      activities,
      // The bundle carries the tracing workflow interceptor: its spans go to this sink (discarded with tracing off).
      sinks: workerTracing().sinks,
    });
    const wallStart = Date.now();
    const serverStart = await env.currentTimeMs();
    const attempt = await worker.runUntil(env.client.workflow.execute(retriedAfterTwoDays, { taskQueue: 'harness-time', workflowId: 'two-day-backoff' }));
    const serverElapsedMs = (await env.currentTimeMs()) - serverStart;
    assert.equal(attempt, 2);
    assert.ok(serverElapsedMs >= 2 * 24 * 3600_000, `server clock moved ${serverElapsedMs} ms, expected at least 2 days`);
    assert.ok(Date.now() - wallStart < 60_000, 'the two days passed in under a minute of wall time');
  } finally {
    await env.teardown();
  }
});
