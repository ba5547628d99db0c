/**
 * Traces: OpenTelemetry through @temporalio/interceptors-opentelemetry, exported over OTLP/HTTP (JSON).
 *   OTEL_EXPORTER_OTLP_ENDPOINT         the collector, e.g. http://127.0.0.1:4318 (spans go to <it>/v1/traces);
 *                                       unset: no tracing at all (no tracer, no exporter, no client or activity interceptor)
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the full traces URL instead (as the OpenTelemetry SDKs read it)
 *   OTEL_SERVICE_NAME                   the resource's service.name (default stock2shop-engine)
 *   OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_*, OTEL_TRACES_SAMPLER…   read by the OpenTelemetry SDK itself
 *
 * One trace per order delivered by the webhook (the intake's span, the client's signal-with-start, the
 * order's run, its activities: the source's answer to the raise, the write-back) and one per product
 * pass (its run and activities, on the central worker and on the agent). The workflows' spans are made
 * in the workflow bundle of a process that traces (workflows/tracing-interceptors.ts) and handed out through the `exporter` sink.
 *
 * No personal data leaves in a span: before export, every span keeps only plain attributes (the ids of
 * the workflow, run and activity, the workflow info's counts; not the memo, search attributes or a
 * previous run's result or failure that the library copies onto workflow spans), and loses its error
 * message (which may quote a source, and so a customer): a failed span keeps its error type, not its words.
 */
import { context, propagation, trace, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryNexusInboundInterceptor,
  OpenTelemetryNexusOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks, NexusInterceptorsFactory } from '@temporalio/worker';

export const DEFAULT_SERVICE_NAME = 'stock2shop-engine';

export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  processor: SpanProcessor;
  /** Exports what is pending and uninstalls: the process traces nothing after it. */
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/** Where spans go: the traces URL, or undefined (tracing off). */
export function tracesUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** The traces URL as a log line may show it: no user, password or query (a token may hide there). */
export function shownTracesUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = tracesUrlFromEnv(env);
  if (url === undefined) return undefined;
  try {
    const { origin, pathname } = new URL(url);
    return `${origin}${pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * Installs this process's tracing when the environment asks for it (`component`: `central`, `agent
 * <id>`, `stack`…, a resource attribute), once; `exporter` replaces the OTLP exporter (tests).
 */
export function installTracing(component: string, env: NodeJS.ProcessEnv = process.env, exporter?: SpanExporter): Tracing | undefined {
  if (installed) return installed;
  const url = tracesUrlFromEnv(env);
  if (!url && !exporter) return undefined;
  const resource = Resource.default().merge(
    new Resource({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME, 'stock2shop.engine.component': component }),
  );
  const processor = new BatchSpanProcessor(withoutErrorMessages(exporter ?? new OTLPTraceExporter({ url })));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // The global context manager and W3C propagator: the client and activity interceptors carry the trace through Temporal's headers.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracing: Tracing = {
    tracer: provider.getTracer('stock2shop-engine'),
    resource,
    processor,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      if (installed === tracing) installed = undefined;
    },
  };
  installed = tracing;
  return tracing;
}

/** The tracing `installTracing` installed, if any. */
export function installedTracing(): Tracing | undefined {
  return installed;
}

/** Drops every span the workflows hand out: the bundle always makes them, a worker without tracing throws them away. */
const discardedWorkflowSpans: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => undefined } } };

/**
 * What a worker adds for tracing: the `exporter` sink its workflow spans go out through (always: the
 * bundle's interceptor calls it) and, with tracing on, the activity and Nexus interceptors.
 */
export function workerTracing(): { sinks: InjectedSinks<OpenTelemetrySinks>; activity: ActivityInterceptorsFactory[]; nexus: NexusInterceptorsFactory[] } {
  const tracing = installed;
  if (!tracing) return { sinks: discardedWorkflowSpans, activity: [], nexus: [] };
  const options = { tracer: tracing.tracer };
  return {
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
    activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, options), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    nexus: [(ctx) => ({ inbound: new OpenTelemetryNexusInboundInterceptor(ctx, options), outbound: new OpenTelemetryNexusOutboundInterceptor(ctx) })],
  };
}

/** `client` itself without tracing; with it, a client on the same connection whose workflow calls carry the trace (the intake's). */
export function tracedClient(client: Client): Client {
  const tracing = installed;
  if (!tracing) return client;
  const { connection, namespace, dataConverter, identity } = client.options;
  return new Client({
    connection,
    namespace,
    dataConverter,
    identity,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] },
  });
}

/** Runs `body` in a span of its own (the trace's root, unless one is active), or just runs it without tracing. */
export async function inSpan<T>(name: string, attributes: Attributes, body: () => Promise<T>): Promise<T> {
  const tracing = installed;
  if (!tracing) return body();
  return tracing.tracer.startActiveSpan(name, { attributes }, async (span: Span) => {
    try {
      const result = await body();
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', (error as Error)?.name ?? 'Error');
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Free text a person wrote: it may say anything. */
const FREE_TEXT_ATTRIBUTES = new Set(['temporalTerminateReason']);

/**
 * Plain values only: the library copies the whole workflow info onto a workflow's spans, and its objects
 * (memo, search attributes, the last run's result and failure) are no attribute values and may hold
 * what a person should not find in a trace; its ids and counts stay.
 */
function plainAttributes(attributes: Attributes): Attributes {
  return Object.fromEntries(
    Object.entries(attributes).filter(([key, value]) => !FREE_TEXT_ATTRIBUTES.has(key) && ['string', 'number', 'boolean'].includes(typeof value)),
  );
}

/** Error messages may quote a source, and through it a customer: cut from the status and the exception events. */
function redacted(span: ReadableSpan): ReadableSpan {
  const events = span.events.map((event) =>
    event.name === 'exception' ? { ...event, attributes: { 'exception.type': event.attributes?.['exception.type'] ?? 'Error' } } : event,
  );
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: plainAttributes(span.attributes),
    links: span.links,
    events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** `exporter`, given the spans without their error messages and with plain attributes only. */
export function withoutErrorMessages(exporter: SpanExporter): SpanExporter {
  return {
    export: (spans, done) => exporter.export(spans.map(redacted), done),
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  };
}
