import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceGuard } from '../../activities/source-guard';
import { TransientError } from '../../connectors/errors';

const refused = () => new TransientError('omni', 'listProducts', 'Omni Accounts listProducts: unreachable (ECONNREFUSED)', { sourceUnreachable: true });

test('never more requests in flight than the connection allows', async () => {
  const guard = new SourceGuard('omni/acme', 'omni', async () => undefined, { maxConcurrent: 2, perSecond: 1000 });
  let inFlight = 0;
  let highest = 0;
  await Promise.all(
    Array.from({ length: 10 }, () =>
      guard.request(async () => {
        inFlight += 1;
        highest = Math.max(highest, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight -= 1;
      }),
    ),
  );
  assert.equal(highest, 2);
});

test('requests start no faster than the per-second limit', async () => {
  const guard = new SourceGuard('omni/acme', 'omni', async () => undefined, { maxConcurrent: 10, perSecond: 20 });
  const started: number[] = [];
  await Promise.all(Array.from({ length: 11 }, () => guard.request(async () => void started.push(Date.now()))));
  const spanMs = Math.max(...started) - Math.min(...started);
  assert.ok(spanMs >= 450, `11 requests at 20/s span at least 500 ms, took ${spanMs} ms`);
});

test('while the source is down, waiting callers share one probe, and all resume when it answers', async () => {
  let up = false;
  let pings = 0;
  let sourceCalls = 0;
  const guard = new SourceGuard(
    'omni/acme',
    'omni',
    async () => {
      pings += 1;
      if (!up) throw refused();
    },
    { maxConcurrent: 50, perSecond: 1000, probeIntervalMs: 100 },
  );
  const callSource = () =>
    guard.request(async () => {
      sourceCalls += 1;
      if (!up) throw refused();
      return 'ok';
    });

  const results = Promise.all(Array.from({ length: 20 }, () => guard.whenReachable(callSource)));
  await new Promise((r) => setTimeout(r, 1000));
  const callsDuringOutage = sourceCalls;
  const pingsDuringOutage = pings;
  up = true;
  const cameBackAt = Date.now();
  assert.deepEqual(await results, Array(20).fill('ok'));
  assert.ok(Date.now() - cameBackAt < 1500, 'callers resume within a probe interval or two');
  assert.equal(callsDuringOutage, 20, 'each caller tried once, then waited for the probe');
  assert.ok(pingsDuringOutage <= 11, `one probe every 100 ms, not one per caller (saw ${pingsDuringOutage})`);
});

test('an error that is not an outage goes straight back to the caller', async () => {
  const guard = new SourceGuard('omni/acme', 'omni', async () => undefined, { maxConcurrent: 1, perSecond: 100 });
  await assert.rejects(
    guard.whenReachable(() => guard.request(async () => Promise.reject(new Error('Stock code X not found')))),
    /Stock code X not found/,
  );
});
