/**
 * What the Temporal dev server counts about itself, from its Prometheus endpoint (`temporal server
 * start-dev --metrics-port N`, which the bench stack always passes: `stack.devServer.metricsUrl`):
 * the counters a benchmark reads right before and right after a burst, and their difference.
 *
 * The names are the server's own, as the dev server of the pinned CLI exposes them (checked by
 * scraping one while a stack ran):
 *   - `service_requests{service_name, operation, namespace}`: gRPC requests each service handled. On
 *     `frontend` they are the calls of the server's clients (the workers' polls and completions, the
 *     deliveries' SignalWithStartWorkflowExecution, …); on `history` and `matching` the server's own
 *     hops between its services.
 *   - `persistence_requests{service_name, operation, namespace}`: calls into the persistence layer
 *     (here SQLite).
 *   - `state_transition_count` (a histogram): recorded once per write of a workflow's mutable state
 *     (its creation and each update, operation `WorkflowContext`), with the execution's running total
 *     as the value; its `_count` is therefore the number of state transitions. (Its `_sum`, a sum of
 *     running totals, is not used.)
 * Namespace `temporal_system` (the server's own internal workers) is kept apart from the rest.
 */

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text exposition (comments and malformed lines skipped). */
export function parsePrometheusText(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const close = brace === -1 ? -1 : line.lastIndexOf('}');
    const name = brace === -1 ? line.slice(0, line.indexOf(' ')) : line.slice(0, brace);
    const rest = (close === -1 ? line.slice(name.length) : line.slice(close + 1)).trim();
    const value = Number(rest.split(' ')[0]);
    if (!name || !Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    if (brace !== -1 && close > brace) {
      for (const m of line.slice(brace + 1, close).matchAll(LABEL)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
    }
    out.push({ name, labels, value });
  }
  return out;
}

/** The counters a burst is measured by (cumulative since the server started). */
export interface ServerCounters {
  /** service_requests by service, then operation (namespace temporal_system not included). */
  requests: Record<string, Record<string, number>>;
  /** service_requests on the frontend in namespace temporal_system (the server's internal workers). */
  systemFrontendRequests: number;
  /** persistence_requests by operation, every service (namespace temporal_system not included). */
  persistence: Record<string, number>;
  /** state_transition_count's count (operation WorkflowContext): state transitions. */
  stateTransitions: number;
}

const SYSTEM_NAMESPACE = 'temporal_system';

function add(into: Record<string, number>, key: string, value: number): void {
  into[key] = (into[key] ?? 0) + value;
}

export function countersOf(samples: MetricSample[]): ServerCounters {
  const counters: ServerCounters = { requests: {}, systemFrontendRequests: 0, persistence: {}, stateTransitions: 0 };
  for (const { name, labels, value } of samples) {
    const system = labels.namespace === SYSTEM_NAMESPACE;
    if (name === 'service_requests') {
      const service = labels.service_name ?? '?';
      if (system) {
        if (service === 'frontend') counters.systemFrontendRequests += value;
        continue;
      }
      add((counters.requests[service] ??= {}), labels.operation ?? '?', value);
    } else if (name === 'persistence_requests') {
      if (!system) add(counters.persistence, labels.operation ?? '?', value);
    } else if (name === 'state_transition_count_count' && (labels.operation ?? 'WorkflowContext') === 'WorkflowContext') {
      counters.stateTransitions += value;
    }
  }
  return counters;
}

/** The server's counters now; null when it exposes no endpoint or does not answer (a figure is then missing, never invented). */
export async function scrapeServerCounters(metricsUrl: string | undefined): Promise<ServerCounters | null> {
  if (!metricsUrl) return null;
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    return countersOf(parsePrometheusText(await response.text()));
  } catch {
    return null;
  }
}

function recordDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(b)) {
    const d = value - (a[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/** `after − before`, counter by counter. */
export function countersBetween(before: ServerCounters, after: ServerCounters): ServerCounters {
  const requests: ServerCounters['requests'] = {};
  for (const [service, ops] of Object.entries(after.requests)) requests[service] = recordDelta(before.requests[service] ?? {}, ops);
  return {
    requests,
    systemFrontendRequests: after.systemFrontendRequests - before.systemFrontendRequests,
    persistence: recordDelta(before.persistence, after.persistence),
    stateTransitions: after.stateTransitions - before.stateTransitions,
  };
}

/** The sum of several deltas (the bursts of a series). */
export function sumCounters(all: ServerCounters[]): ServerCounters {
  const sum: ServerCounters = { requests: {}, systemFrontendRequests: 0, persistence: {}, stateTransitions: 0 };
  for (const c of all) {
    for (const [service, ops] of Object.entries(c.requests)) for (const [op, n] of Object.entries(ops)) add((sum.requests[service] ??= {}), op, n);
    for (const [op, n] of Object.entries(c.persistence)) add(sum.persistence, op, n);
    sum.systemFrontendRequests += c.systemFrontendRequests;
    sum.stateTransitions += c.stateTransitions;
  }
  return sum;
}
