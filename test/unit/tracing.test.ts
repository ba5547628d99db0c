/** Tracing (worker/tracing.ts): off unless an endpoint is set, and what leaves in a span. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { inSpan, installTracing, installedTracing, shownTracesUrl, tracedClient, tracesUrlFromEnv, workerTracing } from '../../worker/tracing';

test('the traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces; a log shows no credentials', () => {
  assert.equal(tracesUrlFromEnv({}), undefined);
  assert.equal(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }), undefined);
  assert.equal(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), 'http://collector:4318/v1/traces');
  assert.equal(
    tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp' }),
    'https://traces.example/otlp',
  );
  assert.equal(shownTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:s3cret@collector.example:4318' }), 'https://collector.example:4318/v1/traces');
  assert.equal(shownTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/v1/traces?token=abc' }), 'https://collector.example/v1/traces');
});

test('without an endpoint nothing is installed: no interceptor, the client as it is, the workflows’ spans dropped', async () => {
  assert.equal(installTracing('unit', {}), undefined);
  assert.equal(installedTracing(), undefined);
  const worker = workerTracing();
  assert.deepEqual([worker.activity.length, worker.nexus.length], [0, 0]);
  assert.equal(worker.sinks.exporter.export.fn({} as never, []), undefined);
  const client = new Client();
  assert.equal(tracedClient(client), client);
  assert.equal(await inSpan('x', {}, async () => 42), 42);
  assert.equal(trace.getActiveSpan(), undefined);
});

test('what a span carries out: plain attributes, no error message, no free text', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = installTracing('unit', {}, exporter)!;
  try {
    assert.equal(installTracing('unit', {}), tracing, 'once per process');
    assert.equal(workerTracing().activity.length, 1);
    assert.notEqual(tracedClient(new Client()), undefined);
    const quoted = new Error('Omni refused: customer Thandi Nkosi, +27 21 555 0101, 12 Loop Street');
    await assert.rejects(
      inSpan('webhook add_order', { connection_id: 'acme-omni' }, async () => {
        throw quoted;
      }),
    );
    tracing.tracer.startActiveSpan('RunWorkflow:raiseOrder', (span) => {
      span.setAttributes({ workflowId: 'raise-order/acme-omni/WEB-1', attempt: 1, temporalTerminateReason: 'Thandi asked us to', run_id: 'r1' });
      // As the library's workflow exporter copies the workflow info on: objects among the values.
      Object.assign((span as unknown as { attributes: Record<string, unknown> }).attributes, { memo: { note: 'Thandi' }, lastFailure: { message: 'Thandi' } });
      span.recordException(quoted);
      span.setStatus({ code: 2, message: quoted.message });
      span.end();
    });
    await tracing.processor.forceFlush();
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(
      spans.map((span) => span.name),
      ['webhook add_order', 'RunWorkflow:raiseOrder'],
    );
    assert.deepEqual(spans[0]!.attributes, { connection_id: 'acme-omni', 'error.type': 'Error' });
    assert.deepEqual(spans[1]!.attributes, { workflowId: 'raise-order/acme-omni/WEB-1', attempt: 1, run_id: 'r1' });
    assert.deepEqual(spans[1]!.status, { code: 2 });
    assert.deepEqual(
      spans[1]!.events.map((event) => event.attributes),
      [{ 'exception.type': 'Error' }],
    );
    assert.equal(spans[1]!.resource.attributes['service.name'], 'stock2shop-engine');
    assert.ok(!JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status])).includes('Thandi'));
  } finally {
    await tracing.shutdown();
  }
  assert.equal(installedTracing(), undefined, 'shut down: uninstalled');
});
