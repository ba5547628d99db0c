/**
 * The chaos suite, the Omni agent's network: the agent reaches Temporal through a TCP proxy
 * (test/helpers/dropping-proxy.ts). In the middle of the raises of a 200-order burst (and of a
 * multi-page product sync, whose pages run on the agent too), the proxy stops forwarding for two
 * minutes, both ways, closing nothing: packets lost, not refused, as when the client's office line
 * goes down. Omni itself stays reachable from the agent (same local network), so raises the agent had
 * started finish in the source while their answers cannot reach Temporal. Then the line is back. The
 * counts are those of test/chaos/chaos.test.ts.
 */
import { after, describe, test } from 'node:test';
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
import { startDroppingProxy, type DroppingProxy } from '../helpers/dropping-proxy';

/** The issue asks for two minutes: longer than every heartbeat timeout (60 s) and the gRPC keepalive. */
const DROP_MS = 120_000;

/** How many orders needed a second attempt of their raise activity (its first one's task or answer lost). */
async function raisesTriedAgain(scenario: Scenario): Promise<number> {
  let orders = 0;
  for (const code of scenario.orderCodes) {
    const events = (await orderHandle(scenario, code).fetchHistory()).events ?? [];
    const raises = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'raiseInSource').map((e) => String(e.eventId)));
    const started = events.flatMap((e) => e.activityTaskStartedEventAttributes ?? []);
    if (started.some((s) => raises.has(String(s.scheduledEventId)) && (s.attempt ?? 1) > 1)) orders += 1;
  }
  return orders;
}

describe("chaos: the agent's network", () => {
  let scenario: Scenario | undefined;
  let proxy: DroppingProxy | undefined;
  after(async () => {
    await stopScenario(scenario);
    await proxy?.close();
  });

  test("the agent's network to Temporal dropped for 2 minutes (packets lost, not refused) in the middle of raises", async (t) => {
    scenario = await startScenario({}, async (server) => {
      proxy = await startDroppingProxy({ host: '127.0.0.1', port: server.port });
      return { agent: { TEMPORAL_ADDRESS: proxy.address } };
    });
    await scenario.stack.omni.setFaults({ latencyMs: 100 });
    const delivered = startLoad(scenario, 'NETDROP');
    await untilUnderWay(scenario, 'NETDROP');
    await inFlight(t, scenario, 'NETDROP', 'at the drop');
    proxy!.drop();
    const inSourceAtDrop = scenario.stack.omni.orders().length;
    await new Promise((resolve) => setTimeout(resolve, DROP_MS));
    const inSourceAtRestore = scenario.stack.omni.orders().length;
    proxy!.restore();
    const { connections, openedWhileDropped } = proxy!.stats();
    t.diagnostic(
      `during the drop: ${inSourceAtRestore - inSourceAtDrop} orders reached the source (raises under way at the drop); ` +
        `the agent opened ${openedWhileDropped} connections while dropped (${connections} in all)`,
    );
    await delivered;
    await syncResult(scenario, 'NETDROP');
    const counts = countsOf(scenario, await settledOrders(scenario));
    t.diagnostic(`${await raisesTriedAgain(scenario)} orders' raise in the source was tried again (an attempt lost to the drop)`);
    report(t, 'agent network dropped', counts);
    assertNothingLost(counts, PAGE_SIZE, 'pushed twice: at most the page under way at the drop');
    await stopScenario(scenario);
    scenario = undefined;
  });
});
