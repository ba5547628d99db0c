/**
 * The engine's own Prometheus metrics, beside the SDK's: recorded on the activity context's metric
 * meter (`Context.current().metricMeter`), so they go out through the Temporal runtime's endpoint
 * (METRICS_BIND_ADDRESS, see worker/observability.ts) with the activity's tags (`namespace`,
 * `taskQueue`, `activityType`) and the connection's (`connection_id`). Their names: contracts/engine-metrics.ts.
 *
 *   engine_products_read{connection_id}             records read from the source (syncProductPage)
 *   engine_products_pushed{connection_id}           changed products pushed to Stock2Shop
 *   engine_products_invalid{connection_id}          records that failed validation or that Stock2Shop refused
 *   engine_orders_raised{connection_id}             orders raised in the source (their write-back's first attempt)
 *   engine_orders_needing_attention{connection_id}  orders that came to need a person (their failure's first write-back)
 *   engine_source_reachable{connection_id}          gauge: 1 when the source answered the latest call, 0 when it did not
 *   (engine_product_passes, engine_product_pass_ended_timestamp_seconds: the passes that ended, workflows/pass-metrics.ts)
 *
 * The counters are counted once per activity that did the work; a page retried after a failure counts
 * what the retry read again. Outside an activity (a unit test calling the code directly) nothing is
 * recorded.
 */
import { Context } from '@temporalio/activity';
import { metricMeter as nexusMetricMeter } from '@temporalio/nexus';
import type { MetricMeter } from '@temporalio/common';
import { ENGINE_METRICS } from '../contracts/engine-metrics';

export { ENGINE_METRICS };

type CounterName = Exclude<keyof typeof ENGINE_METRICS, 'sourceReachable' | 'productPasses' | 'passEndedAt'>;

function activityMeter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    // A quick raise runs in a confined agent's Nexus handler: its meter, else none (a unit test calling the code).
    try {
      return nexusMetricMeter.withTags({});
    } catch {
      return undefined;
    }
  }
}

/** Adds `value` to one of the engine's counters of the connection. */
export function countFor(connectionId: string, counter: CounterName, value = 1): void {
  if (value <= 0) return;
  const meter = activityMeter();
  if (!meter) return;
  const { name, unit, description } = ENGINE_METRICS[counter];
  meter.createCounter(name, unit, description).add(value, { connection_id: connectionId });
}

/**
 * Adds 1 to one of the engine's counters of the connection, on the activity's first attempt only: for
 * events an activity reports and its retries report again (an order raised, an order needing a person).
 */
export function countOnceFor(connectionId: string, counter: CounterName): void {
  let attempt = 1;
  try {
    attempt = Context.current().info.attempt;
  } catch {
    // not in an activity
  }
  if (attempt === 1) countFor(connectionId, counter);
}

/**
 * Sets whether the connection's source answered. One series per connection, whichever activity saw it
 * (a page, a raise, a probe): `activityType` is left empty on this gauge, so the latest call decides.
 */
export function sourceReachable(connectionId: string, reachable: boolean): void {
  const meter = activityMeter();
  if (!meter) return;
  const { name, unit, description } = ENGINE_METRICS.sourceReachable;
  meter.createGauge(name, 'int', unit, description).set(reachable ? 1 : 0, { connection_id: connectionId, activityType: '' });
}
