/**
 * The problem ledger of the product state store: one contract, run against the embedded file store and
 * the Postgres store (a throw-away server started by this file with scripts/postgres.ts); the page
 * activity recording and closing product problems; the order write-backs recording and closing order
 * problems.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RejectedBySourceError, type Stock2ShopClient } from '../../connectors';
import type { Stock2ShopQueueItem } from '../../domain';
import { FileProductStateStore } from '../../store/file-store';
import { orderProblemOf, type Problem, type ProblemLedger, type ProductStateStore } from '../../store/product-state';
import { PostgresProductStateStore } from '../../store/postgres-store';
import { syncOneProductPage } from '../../activities/product-pages';
import { createActivities } from '../../activities';
import { migrate, readMigrations } from '../../store/migrate';
import { postgresForTests } from '../helpers/postgres';
import { omniConnection } from '../unit/fixtures';

type Store = ProductStateStore & ProblemLedger;

const { pool, freshDatabase } = postgresForTests('ledger_test');

const tick = () => new Promise((resolve) => setTimeout(resolve, 15));
/** The open problems without their times, for comparing. */
const plain = (problems: Problem[]) => problems.map(({ firstSeen: _f, lastSeen: _l, ...rest }) => rest);

function ledgerContract(kind: string, fresh: () => Promise<() => Store>) {
  describe(`${kind}: the problem ledger`, () => {
    test('empty: nothing open; closing nothing is no failure', async () => {
      const store = (await fresh())();
      assert.deepEqual(await store.openProblems(), []);
      assert.deepEqual(await store.openProblems('c1'), []);
      await store.closeProblems('c1', 'product', ['A']);
      await store.closeProblems('c1', 'order', []);
      await store.closeProductProblemsUnseenInPass('c1', 'pass-1');
      await store.recordProblems('c1', []);
      assert.deepEqual(await store.openProblems(), []);
    });

    test('recorded again: first seen kept, last seen and reason new; within one call the last of a code wins', async () => {
      const store = (await fresh())();
      const before = Date.now();
      await store.recordProblems('c1', [
        { kind: 'product', code: 'LAMP-03', field: 'SELLINGPRICE1', reason: 'must be 0 or more' },
        { kind: 'order', code: 'WEB-1', field: '', reason: 'Stock code FAN-99 not found' },
      ]);
      const [first] = await store.openProblems('c1');
      assert.ok(first!.firstSeen.getTime() >= before - 1000 && first!.firstSeen.getTime() <= Date.now() + 1000, 'first seen is now');
      assert.equal(first!.lastSeen.getTime(), first!.firstSeen.getTime());
      await tick();
      await store.recordProblems('c1', [
        { kind: 'product', code: 'LAMP-03', field: 'DESCRIPTION', reason: 'first reason of the call' },
        { kind: 'product', code: 'LAMP-03', field: 'OAvailable', reason: 'must be a number' },
      ]);
      const open = await store.openProblems('c1');
      assert.deepEqual(plain(open), [
        { connectionId: 'c1', kind: 'order', code: 'WEB-1', field: '', reason: 'Stock code FAN-99 not found' },
        { connectionId: 'c1', kind: 'product', code: 'LAMP-03', field: 'OAvailable', reason: 'must be a number' },
      ]);
      const lamp = open.find((p) => p.code === 'LAMP-03')!;
      assert.equal(lamp.firstSeen.getTime(), first!.firstSeen.getTime(), 'first seen kept');
      assert.ok(lamp.lastSeen.getTime() > lamp.firstSeen.getTime(), 'last seen moved on');
    });

    test('closeProblems closes that kind and those codes of that connection only; all open problems, in order', async () => {
      const store = (await fresh())();
      const many = Array.from({ length: 150 }, (_, i) => ({ kind: 'product' as const, code: `P-${String(i).padStart(3, '0')}`, field: 'F', reason: 'bad' }));
      await store.recordProblems('c2', many);
      await store.recordProblems('c1', [
        { kind: 'product', code: 'SAME', field: 'F', reason: 'product' },
        { kind: 'order', code: 'SAME', field: '', reason: 'order' },
        { kind: 'product', code: 'B', field: 'F', reason: 'b' },
      ]);
      assert.equal((await store.openProblems()).length, 153, 'no limit of 100');
      assert.deepEqual(
        (await store.openProblems()).slice(0, 4).map((p) => `${p.connectionId}/${p.kind}/${p.code}`),
        ['c1/order/SAME', 'c1/product/B', 'c1/product/SAME', 'c2/product/P-000'],
      );
      await store.closeProblems('c1', 'product', ['SAME', 'NEVER-OPEN']);
      await store.closeProblems('c2', 'product', ['P-000', 'P-149']);
      assert.deepEqual(plain(await store.openProblems('c1')), [
        { connectionId: 'c1', kind: 'order', code: 'SAME', field: '', reason: 'order' },
        { connectionId: 'c1', kind: 'product', code: 'B', field: 'F', reason: 'b' },
      ]);
      assert.equal((await store.openProblems('c2')).length, 148);
      await store.closeProblems('c1', 'order', ['SAME']);
      assert.deepEqual(
        (await store.openProblems('c1')).map((p) => p.code),
        ['B'],
      );
    });

    test('closeProductProblemsUnseenInPass: products the pass never saw close, seen ones and orders stay', async () => {
      const store = (await fresh())();
      await store.recordProblems(
        'c1',
        ['A', 'B', 'C'].map((code) => ({ kind: 'product' as const, code, field: 'F', reason: 'bad' })),
      );
      await store.recordProblems('c1', [{ kind: 'order', code: 'WEB-1', field: '', reason: 'waits' }]);
      await store.recordProblems('c2', [{ kind: 'product', code: 'B', field: 'F', reason: 'other connection' }]);
      await store.markSeen('c1', 'pass-1', ['A', 'C', 'NEW']);
      await store.closeProductProblemsUnseenInPass('c1', 'pass-1');
      assert.deepEqual(
        (await store.openProblems()).map((p) => `${p.connectionId}/${p.kind}/${p.code}`),
        ['c1/order/WEB-1', 'c1/product/A', 'c1/product/C', 'c2/product/B'],
      );
      // Asked again after the pass ended (a retried reconcile step): no problem closes for it.
      await store.endPass('c1', 'pass-1');
      await store.closeProductProblemsUnseenInPass('c1', 'pass-1');
      assert.deepEqual(
        (await store.openProblems('c1')).map((p) => `${p.kind}/${p.code}`),
        ['order/WEB-1', 'product/A', 'product/C'],
      );
    });

    test('codes of any shape stay apart and come back whole; a new instance (a restart, the CLI) sees them', async () => {
      const open = await fresh();
      const codes = ['a/b', 'a_b', 'A B', 'tab\there', 'ünï-cödé', 'x'.repeat(300), '../../etc'];
      await open().recordProblems(
        'c/1',
        codes.map((code) => ({ kind: 'product' as const, code, field: 'F', reason: `bad ${code}` })),
      );
      const second = open();
      const found = await second.openProblems('c/1');
      assert.deepEqual(found.map((p) => p.code).sort(), [...codes].sort());
      for (const p of found) assert.equal(p.reason, `bad ${p.code}`);
      assert.deepEqual(await second.openProblems('c_1'), [], 'another connection whose name looks alike');
      await second.closeProblems('c/1', 'product', ['a/b']);
      assert.deepEqual((await open().openProblems()).map((p) => p.code).sort(), codes.filter((c) => c !== 'a/b').sort());
    });

    test('the page activity records invalid and refused records, and closes them once they sync clean (pushed, unchanged or IGNORE)', async () => {
      const store = (await fresh())();
      const connection = omniConnection();
      let refuse = true;
      const stock2shop = {
        async pushProducts(items: Stock2ShopQueueItem[]) {
          if (refuse && items.some((item) => item.product.variants.sku === 'REFUSED-1')) {
            throw new RejectedBySourceError('stock2shop', 'pushProducts', 'title not allowed', { status: 400 });
          }
          return { queued: items.length };
        },
      } as unknown as Stock2ShopClient;
      const page = (records: Record<string, unknown>[], passId: string) =>
        syncOneProductPage(
          { connectionId: connection.id, cursor: null, full: false, passId },
          { connection, listPage: async () => ({ records, nextCursor: null }), stock2shop, store, problems: store, heartbeat: () => undefined },
        );
      const item = (code: string, extra: Record<string, unknown> = {}) => ({
        STOCKCODE: code,
        DESCRIPTION: code,
        EXTRADTLS8: 'ACTIVE',
        SELLINGPRICE1: 10,
        OAvailable: 1,
        ...extra,
      });

      await page(
        [
          item('OK-1'),
          item('BAD-PRICE', { SELLINGPRICE1: -5 }),
          item('BAD-FLAG', { EXTRADTLS8: 'MAYBE' }),
          item('REFUSED-1'),
          item('LATER-IGNORED', { SELLINGPRICE1: 'x' }),
        ],
        'pass-1',
      );
      const open = await store.openProblems(connection.id);
      assert.deepEqual(
        open.map((p) => `${p.kind} ${p.code} ${p.field}`),
        ['product BAD-FLAG EXTRADTLS8', 'product BAD-PRICE SELLINGPRICE1', 'product LATER-IGNORED SELLINGPRICE1', 'product REFUSED-1 (Stock2Shop)'],
      );
      assert.match(open.find((p) => p.code === 'REFUSED-1')!.reason, /refused by Stock2Shop: title not allowed/);

      // Fixed: the price (pushed), the refusal (pushed now), the flag turned IGNORE; BAD-FLAG still bad.
      refuse = false;
      await page(
        [item('OK-1'), item('BAD-PRICE'), item('BAD-FLAG', { EXTRADTLS8: 'MAYBE' }), item('REFUSED-1'), item('LATER-IGNORED', { EXTRADTLS8: 'IGNORE' })],
        'pass-2',
      );
      assert.deepEqual(
        (await store.openProblems(connection.id)).map((p) => p.code),
        ['BAD-FLAG'],
      );
      // Fixed and unchanged since its push (pushed before it went bad): closes too.
      await store.recordProblems(connection.id, [{ kind: 'product', code: 'OK-1', field: 'F', reason: 'as if it had been bad' }]);
      await page([item('OK-1')], 'pass-3');
      assert.deepEqual(
        (await store.openProblems(connection.id)).map((p) => p.code),
        ['BAD-FLAG'],
      );
    });
  });
}

ledgerContract('FileProductStateStore', async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-ledger-'));
  return () => new FileProductStateStore(directory);
});

ledgerContract('PostgresProductStateStore', async () => {
  const url = await freshDatabase();
  await migrate(pool(url));
  return () => new PostgresProductStateStore(pool(url));
});

test('the migration 003_problems.sql is applied after the earlier ones (008 adds the sealed reason)', async () => {
  assert.deepEqual(
    readMigrations()
      .map((m) => m.file)
      .slice(0, 3),
    ['001_product_state.sql', '002_agent_leases.sql', '003_problems.sql'],
  );
  const db = pool(await freshDatabase());
  await migrate(db);
  const { rows } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'problems' ORDER BY ordinal_position`,
  );
  assert.deepEqual(
    rows.map((r) => r.column_name),
    ['connection_id', 'kind', 'code', 'field', 'reason', 'first_seen', 'last_seen', 'sealed_reason'],
  );
  await assert.rejects(db.query(`INSERT INTO problems (connection_id, kind, code, field, reason) VALUES ('c', 'customer', 'x', '', 'r')`), /check constraint/);
});

test("an order's problem: the field of a validation reason, else the reason whole", () => {
  assert.deepEqual(orderProblemOf('WEB-1001', 'Order WEB-1001: line_items[0].qty: must be a whole number'), {
    kind: 'order',
    code: 'WEB-1001',
    field: 'line_items[0].qty',
    reason: 'must be a whole number',
  });
  assert.deepEqual(orderProblemOf('WEB-1', 'Stock code FAN-99 not found'), { kind: 'order', code: 'WEB-1', field: '', reason: 'Stock code FAN-99 not found' });
  assert.deepEqual(orderProblemOf('WEB-1', 'Order WEB-2: x: y'), { kind: 'order', code: 'WEB-1', field: '', reason: 'Order WEB-2: x: y' });
});

test('the order write-backs: a failure opens the order problem (engine words only, without a key), the source order code closes it', async () => {
  const store = new FileProductStateStore(mkdtempSync(join(tmpdir(), 's2s-ledger-orders-')));
  const connection = omniConnection();
  const told: string[] = [];
  const stock2shop = {
    async writeOrderFailure(code: string, _source: number, reason: string) {
      told.push(`${code} failed: ${reason}`);
    },
    async writeSourceOrderCode(code: string, _source: number, sourceOrderCode: string) {
      told.push(`${code} raised as ${sourceOrderCode}`);
    },
  } as unknown as Stock2ShopClient;
  const activities = createActivities({
    connections: () => [connection],
    secretsOf: () => ({ userName: 'u', password: 'p', companyName: 'c' }),
    stock2shopFor: () => stock2shop,
    productStore: store,
  });
  await activities.writeBackOrderFailure({ connectionId: connection.id, channelOrderCode: 'WEB-1', reason: 'Stock code FAN-99 not found' });
  await activities.writeBackOrderFailure({
    connectionId: connection.id,
    channelOrderCode: 'WEB-2',
    reason: 'Order WEB-2: line_items[0].qty: must be a whole number',
  });
  // This process holds no payload key: the ledger keeps the engine's words, and Stock2Shop the reasons.
  const says = (code: string) => `needs a person: \`npm run cli -- order status ${connection.id} ${code}\` says why`;
  assert.deepEqual(plain(await store.openProblems()), [
    { connectionId: connection.id, kind: 'order', code: 'WEB-1', field: '', reason: says('WEB-1') },
    { connectionId: connection.id, kind: 'order', code: 'WEB-2', field: 'line_items[0].qty', reason: says('WEB-2') },
  ]);
  await activities.writeBackSourceOrderCode({ connectionId: connection.id, channelOrderCode: 'WEB-1', sourceOrderCode: 'SO1' });
  assert.deepEqual(
    (await store.openProblems()).map((p) => p.code),
    ['WEB-2'],
  );
  assert.deepEqual(told, [
    'WEB-1 failed: Stock code FAN-99 not found',
    'WEB-2 failed: Order WEB-2: line_items[0].qty: must be a whole number',
    'WEB-1 raised as SO1',
  ]);
});
