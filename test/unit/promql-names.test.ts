/** The tokenizer that reads the metric names of the dashboard's and the alert rules' expressions (test/helpers/promql.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportedMetricNames, metricNamesIn, metricNamesInVariableQuery } from '../helpers/promql';

test('names, not functions, keywords, labels, strings, ranges or numbers', () => {
  assert.deepEqual(
    metricNamesIn('histogram_quantile(0.95, sum by (le, task_queue) (rate(temporal_activity_schedule_to_start_latency_bucket{task_queue=~"omni/.*"}[5m])))'),
    ['temporal_activity_schedule_to_start_latency_bucket'],
  );
  assert.deepEqual(
    metricNamesIn(
      'max by (connection_id) (a_seconds{outcome="failed"}) > on (connection_id) group_left (x) (max by (connection_id) (b) or vector(0)) unless c offset 5m and bool 1e3 < d',
    ),
    ['a_seconds', 'b', 'c', 'd'],
  );
  assert.deepEqual(metricNamesIn('sum(increase(engine_products_pushed{connection_id=~"$connection"}[$__rate_interval])) by (connection_id)'), [
    'engine_products_pushed',
  ]);
  assert.deepEqual(metricNamesIn('time() - max without (instance) (x_timestamp_seconds) > 7200'), ['x_timestamp_seconds']);
  assert.deepEqual(metricNamesIn('label_replace(up, "connection_id", "$1", "task_queue", "omni/(.+)")'), ['up']);
});

test("a Grafana variable's query: label_values names its metric, not its label", () => {
  assert.deepEqual(metricNamesInVariableQuery('label_values(engine_source_reachable, connection_id)'), ['engine_source_reachable']);
  assert.deepEqual(metricNamesInVariableQuery('label_values(engine_source_reachable{namespace="$namespace"}, connection_id)'), ['engine_source_reachable']);
  assert.deepEqual(metricNamesInVariableQuery('query_result(count by (task_queue) (temporal_worker_task_slots_used))'), ['temporal_worker_task_slots_used']);
});

test('a scrape: the series names and the families', () => {
  const scrape = [
    '# HELP engine_products_read Product records read from the source',
    '# TYPE engine_products_read counter',
    'engine_products_read{connection_id="bravo-isync"} 30',
    '# TYPE temporal_request_latency histogram',
    'temporal_request_latency_bucket{le="50"} 3',
    'temporal_request_latency_sum 12',
    'plain_gauge 1',
  ].join('\n');
  assert.deepEqual([...exportedMetricNames(scrape)].sort(), [
    'engine_products_read',
    'plain_gauge',
    'temporal_request_latency',
    'temporal_request_latency_bucket',
    'temporal_request_latency_sum',
  ]);
});
