/**
 * OpenTelemetry's workflow interceptors: a workflow's spans, and its trace carried on to the
 * activities and Nexus operations it schedules. Bundled only into a worker that traces (an OTLP
 * endpoint set; worker/tracing.ts), before workflows/interceptors.ts, so they are the outermost and a
 * refused start or result still shows as a failed span. Not in every bundle: the SDK's interceptors
 * build a tracer provider and its context per run, and a worker kept about 0.9 MB of each run it ever
 * ran in its workflow thread (docs/benchmarks.md, row 5).
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
