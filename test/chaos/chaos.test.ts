/**
 * The chaos suite: on a real dev server run as its own process with a SQLite file, the workers as
 * their own processes, and the simulators injecting faults, a multi-page product sync and a burst of
 * 200 orders go through (1) kill -9 of both workers, (2) kill -9 of the Temporal server itself,
 * restarted from its SQLite file, (3) a mix of source faults. Each scenario prints its counts and
 * asserts that nothing is lost, raised twice or reported wrongly (the counting: test/helpers/chaos.ts).
 */
import { after, before, describe, test } from 'node:test';
import { CENTRAL_TASK_QUEUE } from '../../domain';
import { retryUpdate } from '../../contracts/workflows';
import { OMNI_CONNECTION_ID } from '../helpers/stack';
import {
  PAGE_SIZE,
  assertNothingLost,
  countsOf,
  inFlight,
  orderHandle,
  report,
  settledOrders,
  startLoad,
  startScenario,
  stopScenario,
  syncResult,
  untilUnderWay,
  type Scenario,
} from '../helpers/chaos';

describe('chaos', () => {
  let scenario: Scenario | undefined;
  before(() => undefined);
  after(async () => stopScenario(scenario));

  test('kill -9 of both workers in the middle of a multi-page sync and a 200-order burst', async (t) => {
    scenario = await startScenario();
    await scenario.stack.omni.setFaults({ latencyMs: 100 });
    const delivered = startLoad(scenario, 'KILLW');
    await untilUnderWay(scenario, 'KILLW');
    await inFlight(t, scenario, 'KILLW');
    await scenario.central.kill();
    await scenario.agent.kill();
    scenario.central = scenario.stack.spawnWorker('central');
    scenario.agent = scenario.stack.spawnWorker('agent');
    await delivered;
    await syncResult(scenario, 'KILLW');
    const counts = countsOf(scenario, await settledOrders(scenario));
    report(t, 'workers killed', counts);
    assertNothingLost(counts, PAGE_SIZE, 'pushed twice: at most the page in flight at the kill');
    await stopScenario(scenario);
    scenario = undefined;
  });

  test('kill -9 of the Temporal server in the middle of both, started again from its SQLite file', async (t) => {
    scenario = await startScenario();
    await scenario.stack.omni.setFaults({ latencyMs: 100 });
    const delivered = startLoad(scenario, 'KILLS');
    await untilUnderWay(scenario, 'KILLS');
    await inFlight(t, scenario, 'KILLS');
    await scenario.server.kill();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await scenario.server.restart();
    // The workers and the client reconnect by themselves.
    await delivered;
    await syncResult(scenario, 'KILLS');
    const counts = countsOf(scenario, await settledOrders(scenario));
    report(t, 'server killed', counts);
    assertNothingLost(counts, PAGE_SIZE, 'pushed twice: at most the pages in flight at the kill');
    await stopScenario(scenario);
    scenario = undefined;
  });

  test('a mix of source faults: 5xx, refused connections, lost and slow creates, garbled answers, a refused login then fixed', async (t) => {
    scenario = await startScenario({ createCommitDelaySeconds: 2 });
    const omni = scenario.stack.omni;
    await omni.setFaults({ errorRate: 0.2, status: 503, retryAfterSeconds: 0, loseCreateResponse: 5, commitDelayMs: 1000, latencyMs: 20 });
    await startLoad(scenario, 'MIX');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await omni.setFaults({ refuseConnections: true });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await omni.setFaults({ refuseConnections: false, authFailure: true });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await omni.setFaults({ authFailure: false, malformed: true });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // The storm is over (the source is healthy again; what was in flight finishes its retries).
    await omni.clearFaults();
    await syncResult(scenario, 'MIX').catch(() => undefined); // a pass may fail on a refused login; the next one recovers
    let settled = await settledOrders(scenario);
    // A person fixed the login and looked at the rest: the orders that waited for them are retried.
    const waiting = scenario.orderCodes.filter((code) => settled.get(code)?.state !== 'raised');
    for (const code of waiting) await orderHandle(scenario, code).executeUpdate(retryUpdate);
    settled = await settledOrders(scenario);
    await scenario.client.workflow.execute('productSync', {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: `product-sync/${OMNI_CONNECTION_ID}/MIX-again`,
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    const counts = countsOf(scenario, settled);
    report(t, `fault mix (${waiting.length} orders retried by a person)`, counts);
    assertNothingLost(counts, 0, 'no fault made a product be pushed twice with the same content');
    await stopScenario(scenario);
    scenario = undefined;
  });
});
