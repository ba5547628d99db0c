/**
 * The chaos suite, the shared database: both workers run on a real Postgres (DATABASE_URL: the
 * product state, the seen rows of each pass, the problem ledger, the agent's lease). In the middle
 * of a multi-page product pass and of a burst of 200 orders, the whole Postgres server is killed
 * (kill -9 of the postmaster and of every process it forked), and started again a few seconds later
 * on the same data directory and port. The counts are those of test/chaos/chaos.test.ts.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { OMNI_CONNECTION_ID } from '../helpers/stack';
import {
  PAGE_SIZE,
  assertNothingLost,
  countsOf,
  inFlight,
  report,
  settledOrders,
  startLoad,
  startScenario,
  stopScenario,
  syncResult,
  untilUnderWay,
  type Scenario,
} from '../helpers/chaos';
import { startKillablePostgres, type KillablePostgres } from '../helpers/killable-postgres';

/** How long the database stays dead: longer than a page's first retries, shorter than the agent's lease (30 s). */
const DOWN_MS = 5000;

describe('chaos: the shared database', () => {
  let scenario: Scenario | undefined;
  let postgres: KillablePostgres | undefined;
  after(async () => {
    await stopScenario(scenario);
    await postgres?.stop();
  });

  test('kill -9 of Postgres (DATABASE_URL) in the middle of a multi-page sync and a 200-order burst, started again on its data', async (t) => {
    postgres = await startKillablePostgres('chaos');
    const database = { DATABASE_URL: postgres.url };
    scenario = await startScenario({}, { central: database, agent: database });
    await scenario.stack.omni.setFaults({ latencyMs: 100 });
    const delivered = startLoad(scenario, 'KILLPG');
    await untilUnderWay(scenario, 'KILLPG');
    await inFlight(t, scenario, 'KILLPG');
    const killed = await postgres.kill();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    await postgres.restart();
    t.diagnostic(`killed ${killed} Postgres processes; started again after ${DOWN_MS / 1000} s`);
    // The workers' pools reconnect by themselves.
    await delivered;
    const summary = await syncResult(scenario, 'KILLPG');
    const counts = countsOf(scenario, await settledOrders(scenario));
    report(t, 'Postgres killed', counts);
    assertNothingLost(counts, PAGE_SIZE, 'pushed twice: at most the page whose record the kill cut off');
    // The pass's reconcile step reads the seen rows every page wrote: none may be missing after the crash.
    assert.equal(summary.removed, 0, `no product reported removed (${summary.removedCodes.join(', ')})`);
    // The store the pages used was this database, and it holds every product pushed.
    const db = new Client({ connectionString: postgres.url });
    await db.connect();
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM product_state WHERE connection_id = $1', [OMNI_CONNECTION_ID]);
    await db.end();
    const pushedCodes = new Set(
      (scenario.stack.stock2shop.receivedProducts() as { product: { variants: { sku: string } } }[]).map((p) => p.product.variants.sku),
    );
    assert.equal(Number(rows[0]!.n), pushedCodes.size, 'the product state in Postgres has a row per product pushed');
    for (const worker of [scenario.central, scenario.agent]) {
      assert.ok(worker.child.exitCode === null && worker.child.signalCode === null, `a worker exited during the outage: ${worker.output().slice(-2000)}`);
    }
    await stopScenario(scenario);
    scenario = undefined;
  });
});
