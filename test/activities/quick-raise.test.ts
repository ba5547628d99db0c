/**
 * The quick raise of a confined agent's endpoint, against the Omni simulator: it answers within its
 * budget or hands the raise over, and once it has stopped waiting it never sends a create.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { startOmniSimulator } from '../../simulators';
import { createAgentCalls } from '../../activities';
import type { RaiseInSourceInput } from '../../contracts/activities';
import type { Stock2ShopClient } from '../../connectors';
import { FileProductStateStore } from '../../store/file-store';
import { omniConnection } from '../unit/fixtures';

describe('the quick raise of a confined agent', () => {
  let sim: Awaited<ReturnType<typeof startOmniSimulator>>;
  let dir: string;
  let quickRaise: ReturnType<typeof createAgentCalls>['quickRaise'];
  const budget = { beforeCreateMs: 300, answerMs: 900 };

  before(async () => {
    sim = await startOmniSimulator({ port: 0, items: 3, userName: 'Guest', password: 'omni', companyName: 'Demo' });
    dir = mkdtempSync(join(tmpdir(), 'quick-raise-'));
    const connection = omniConnection({}, { endpoint: sim.url, agent: {} });
    // One request at a time: a raise queued behind another waits for its turn under the limit.
    const narrow = omniConnection({}, { id: 'narrow-omni', endpoint: sim.url, agent: {}, requestLimits: { maxConcurrent: 1, perSecond: 100 } });
    quickRaise = createAgentCalls({
      connections: () => [connection, narrow],
      secretsOf: () => ({ userName: 'Guest', password: 'omni', companyName: 'Demo' }),
      stock2shopFor: () => ({}) as unknown as Stock2ShopClient,
      productStore: new FileProductStateStore(dir),
    }).quickRaise;
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => sim.clearFaults());

  const raiseOf = (code: string, stockCode = sim.catalog()[0]!.STOCKCODE): RaiseInSourceInput => ({
    connectionId: 'acme-omni',
    channelOrderCode: code,
    document: {
      customer_account_code: 'CASH001',
      warehouse_code: '1',
      reference: code,
      order_lines: [{ stock_code: stockCode, description: 'Line', quantity: 1, selling_price: 10, vat_code: '1' }],
    },
  });
  const inOmni = (code: string) => sim.orders().filter((order: { reference: string }) => order.reference === code).length;

  test('an answer within the budget: raised, and said whether it was created or found', async () => {
    const created = await quickRaise(raiseOf('QR-1'), budget);
    assert.ok('raised' in created && created.raised.alreadyExisted === false && /^SO/.test(created.raised.sourceOrderCode), JSON.stringify(created));
    const found = await quickRaise(raiseOf('QR-1'), budget);
    assert.ok('raised' in found && found.raised.alreadyExisted === true, JSON.stringify(found));
    assert.equal(inOmni('QR-1'), 1);
  });

  test('no create by the budget: handed over, and the find that answers later sends no create', async () => {
    await sim.setFaults({ latencyMs: 500 });
    const outcome = await quickRaise(raiseOf('QR-2'), budget);
    assert.ok('handOver' in outcome, JSON.stringify(outcome));
    assert.equal(outcome.handOver.createSentAt, undefined, 'nothing was sent, so the backing run needs no commit wait');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(inOmni('QR-2'), 0, 'the handler sent no create after it stopped waiting');
  });

  test('a create sent before the budget is waited for; one that does not answer in time is handed over with its time', async () => {
    await sim.setFaults({ latencyMs: 200 });
    const waited = await quickRaise(raiseOf('QR-3'), budget);
    assert.ok('raised' in waited && waited.raised.alreadyExisted === false, JSON.stringify(waited));
    await sim.setFaults({ latencyMs: 250 });
    const before = Date.now();
    const slow = await quickRaise(raiseOf('QR-4'), { beforeCreateMs: 300, answerMs: 400 });
    assert.ok('handOver' in slow, JSON.stringify(slow));
    assert.ok(
      typeof slow.handOver.createSentAt === 'number' && slow.handOver.createSentAt >= before,
      'the backing run waits for that create to commit before it looks',
    );
  });

  test('what a person must fix ends the quick raise as a failure the activity would not retry either; an earlier create goes to the backing run', async () => {
    await assert.rejects(
      quickRaise(raiseOf('QR-5', 'NOT-IN-OMNI'), budget),
      (error: unknown) => error instanceof ApplicationFailure && error.nonRetryable === true,
    );
    assert.equal(inOmni('QR-5'), 0);
    const earlier = await quickRaise({ ...raiseOf('QR-6'), createSentAt: Date.now() - 1000 }, budget);
    assert.ok('handOver' in earlier && /earlier try/.test(earlier.why));
    assert.equal(inOmni('QR-6'), 0);
  });

  test('a raise still waiting for its turn under the limits when it hands over never sends its find', async () => {
    await sim.setFaults({ latencyMs: 400 });
    sim.clearRequests();
    const narrow = (code: string) => ({ ...raiseOf(code), connectionId: 'narrow-omni' });
    // The first holds the one slot (find 400 ms, create 400 ms); the second waits behind it past its 300 ms.
    const [first, second] = await Promise.all([quickRaise(narrow('QR-7'), { beforeCreateMs: 1000, answerMs: 2000 }), quickRaise(narrow('QR-8'), budget)]);
    assert.ok('raised' in first, JSON.stringify(first));
    assert.ok('handOver' in second && second.handOver.createSentAt === undefined, JSON.stringify(second));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const asked = sim.requests().filter((request: { path: string; query?: Record<string, unknown> }) => JSON.stringify(request).includes('QR-8'));
    assert.equal(asked.length, 0, `nothing of QR-8 reached Omni: ${JSON.stringify(asked)}`);
    assert.equal(inOmni('QR-8'), 0);
  });
});
