/**
 * The product state store on a real Postgres (started by this file with scripts/postgres.ts):
 *  - one contract, run against the embedded file store and the Postgres store alike;
 *  - the versioned migrations: applied once, again a no-op, two migrators at once safe, a failing
 *    one rolled back;
 *  - two store instances (two workers, each with its own pool) sharing one pass: whichever ran a
 *    page, the reconcile step on the other sees it, and nothing is pushed again for being unknown;
 *  - the pass claim, against both stores: of passes claiming at once exactly one wins, and a holder
 *    that no longer runs is taken over (temporal/running-pass.ts, Temporal's answers stubbed).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stock2ShopClient } from '../../connectors';
import type { Stock2ShopQueueItem } from '../../domain';
import { FileProductStateStore } from '../../store/file-store';
import { type ProductStateStore, type PushedProduct } from '../../store/product-state';
import { PostgresProductStateStore } from '../../store/postgres-store';
import type { PassClaims, PassHolder } from '../../store/pass-claims';
import { otherRunningPass } from '../../temporal/running-pass';
import { syncOneProductPage } from '../../activities/product-pages';
import { migrate, readMigrations } from '../../store/migrate';
import { postgresForTests } from '../helpers/postgres';
import { omniConnection } from '../unit/fixtures';

const { pool, freshDatabase } = postgresForTests('store_test');

const product = (code: string, hash = `h-${code}`): PushedProduct => ({ code, hash, productCode: `P-${code}`, title: `Title ${code}` });

/**
 * Each `fresh()` is new, empty storage; the function it answers opens a store over that storage (a
 * worker process, or the same worker after a restart).
 */
function storeContract(kind: string, fresh: () => Promise<() => ProductStateStore>) {
  describe(`${kind}: the ProductStateStore contract`, () => {
    test('empty: no hashes, nothing unseen', async () => {
      const store = (await fresh())();
      assert.deepEqual(await store.lastPushedHashes('c1', ['A', 'B']), new Map());
      assert.deepEqual(await store.lastPushedHashes('c1', []), new Map());
      assert.deepEqual(await store.unseenInPass('c1', 'pass-1'), []);
      await store.endPass('c1', 'pass-1');
    });

    test('recordPushed: the latest hash of each code asked for, only those pushed', async () => {
      const store = (await fresh())();
      await store.recordPushed('c1', [product('A', 'a1'), product('B', 'b1')]);
      await store.recordPushed('c1', [product('A', 'a2')]);
      // Within one batch the last of a code wins.
      await store.recordPushed('c1', [product('C', 'c1'), product('C', 'c2')]);
      await store.recordPushed('c1', []);
      assert.deepEqual(
        await store.lastPushedHashes('c1', ['A', 'B', 'C', 'NEVER']),
        new Map([
          ['A', 'a2'],
          ['B', 'b1'],
          ['C', 'c2'],
        ]),
      );
      assert.deepEqual(await store.lastPushedHashes('c1', ['B']), new Map([['B', 'b1']]));
    });

    test('forget: the codes are as if never pushed', async () => {
      const store = (await fresh())();
      await store.recordPushed('c1', [product('A'), product('B'), product('C')]);
      await store.forget('c1', ['A', 'C', 'NEVER']);
      await store.forget('c1', []);
      assert.deepEqual(await store.lastPushedHashes('c1', ['A', 'B', 'C']), new Map([['B', 'h-B']]));
      assert.deepEqual(
        (await store.unseenInPass('c1', 'p')).map((p) => p.code),
        ['B'],
      );
    });

    test('a pass: unseen = pushed and not seen, whole products in code order; endPass forgets what the pass saw, and that it ended', async () => {
      const store = (await fresh())();
      await store.recordPushed(
        'c1',
        ['D', 'B', 'A', 'C', 'E'].map((code) => product(code)),
      );
      await store.markSeen('c1', 'pass-1', ['A', 'NEW-1']);
      await store.markSeen('c1', 'pass-1', ['C', 'A']);
      await store.markSeen('c1', 'pass-1', []);
      assert.deepEqual(await store.unseenInPass('c1', 'pass-1'), [product('B'), product('D'), product('E')]);
      assert.deepEqual(
        (await store.unseenInPass('c1', 'pass-2')).map((p) => p.code),
        ['A', 'B', 'C', 'D', 'E'],
        'another pass saw nothing',
      );
      await store.endPass('c1', 'pass-1');
      // A reconcile retried after its pass ended (the first attempt's answer lost) must not find every
      // product unseen: with `removedProducts: deactivate` it would take the whole catalog off the stores.
      assert.deepEqual(await store.unseenInPass('c1', 'pass-1'), [], 'an ended pass has nothing unseen');
      await store.endPass('c1', 'pass-1');
      assert.deepEqual(
        (await store.unseenInPass('c1', 'pass-2')).map((p) => p.code),
        ['A', 'B', 'C', 'D', 'E'],
        'another pass is not affected',
      );
      assert.deepEqual(await store.lastPushedHashes('c1', ['A']), new Map([['A', 'h-A']]), 'ending a pass keeps what was pushed');
    });

    test('connections are apart', async () => {
      const store = (await fresh())();
      await store.recordPushed('c1', [product('A', 'one')]);
      await store.recordPushed('c2', [product('A', 'two'), product('B')]);
      await store.markSeen('c2', 'pass-1', ['A', 'B']);
      assert.deepEqual(await store.lastPushedHashes('c1', ['A', 'B']), new Map([['A', 'one']]));
      assert.deepEqual(
        (await store.unseenInPass('c1', 'pass-1')).map((p) => p.code),
        ['A'],
      );
      assert.deepEqual(await store.unseenInPass('c2', 'pass-1'), []);
      await store.forget('c2', ['A']);
      assert.deepEqual(await store.lastPushedHashes('c1', ['A']), new Map([['A', 'one']]));
    });

    test('a new instance over the same storage (a restart) knows everything', async () => {
      const open = await fresh();
      const first = open();
      await first.recordPushed('c1', [product('A'), product('B'), product('C')]);
      await first.forget('c1', ['C']);
      await first.markSeen('c1', 'pass-1', ['A']);
      const second = open();
      assert.deepEqual(
        await second.lastPushedHashes('c1', ['A', 'B', 'C']),
        new Map([
          ['A', 'h-A'],
          ['B', 'h-B'],
        ]),
      );
      assert.deepEqual(
        (await second.unseenInPass('c1', 'pass-1')).map((p) => p.code),
        ['B'],
      );
    });
  });
}

storeContract('FileProductStateStore', async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-store-contract-'));
  return () => new FileProductStateStore(directory);
});

storeContract('PostgresProductStateStore', async () => {
  const url = await freshDatabase();
  await migrate(pool(url));
  // Each instance its own pool: another worker process, or the same after a restart.
  return () => new PostgresProductStateStore(pool(url));
});

type ClaimingStore = ProductStateStore & PassClaims;

/** Temporal as the claim check sees it: `running` are open, `closed` have ended, any other id is unknown. */
function temporalSaying(running: Set<string>, closed: Set<string> = new Set()): Client {
  const describe = async (workflowId: string) => {
    if (running.has(workflowId)) return { status: { name: 'RUNNING' } };
    if (closed.has(workflowId)) return { status: { name: 'COMPLETED' } };
    throw new WorkflowNotFoundError(`workflow ${workflowId} not found`, workflowId, undefined);
  };
  return { workflow: { getHandle: (workflowId: string) => ({ describe: () => describe(workflowId) }) } } as unknown as Client;
}

const passOf = (workflowId: string, runId = `run-of-${workflowId}`): PassHolder => ({ workflowId, runId });

/** `fresh()` as for the store contract: each store it opens is another worker over the same storage. */
function passClaimContract(kind: string, fresh: () => Promise<() => ClaimingStore>) {
  describe(`${kind}: the pass claim`, () => {
    test('claimed by compare-and-set: nobody, then the first claimant; a claimant that saw an older holder loses', async () => {
      const store = (await fresh())();
      assert.equal(await store.passClaimHolder('c1'), null);
      assert.equal(await store.claimPass('c1', null, passOf('A')), true);
      assert.deepEqual(await store.passClaimHolder('c1'), passOf('A'));
      assert.equal(await store.claimPass('c1', null, passOf('B')), false, 'it is held already');
      assert.equal(await store.claimPass('c1', passOf('A', 'another-run'), passOf('B')), false, 'another run of A is not the holder');
      assert.equal(await store.claimPass('c1', passOf('A'), passOf('B')), true);
      assert.equal(await store.claimPass('c1', passOf('A'), passOf('C')), false, 'A no longer holds it');
      assert.deepEqual(await store.passClaimHolder('c1'), passOf('B'));
      assert.equal(await store.passClaimHolder('c2'), null, 'connections are apart');
    });

    test('claimants at once, through several store instances: exactly one wins, first and on every takeover', async () => {
      const open = await fresh();
      const workers = [open(), open(), open(), open()];
      let holder: PassHolder | null = null;
      for (let round = 1; round <= 3; round++) {
        const claimants = workers.map((_, i) => passOf(`round-${round}-pass-${i}`));
        const expected: PassHolder | null = holder;
        const won: boolean[] = await Promise.all(workers.map((worker, i) => worker.claimPass('c1', expected, claimants[i]!)));
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: exactly one claimant won (${won.join(', ')})`);
        holder = claimants[won.indexOf(true)]!;
        for (const worker of workers) assert.deepEqual(await worker.passClaimHolder('c1'), holder, `round ${round}: every worker sees the winner`);
      }
    });

    test('two passes checking at once: exactly one goes ahead, the other is told its id', async () => {
      const open = await fresh();
      const [first, second] = [open(), open()];
      const temporal = temporalSaying(new Set(['product-sync/c1-2026-01-01T00:00:00Z', 'product-sync/c1/manual']));
      const answers = await Promise.all([
        otherRunningPass(temporal, first, 'c1', passOf('product-sync/c1-2026-01-01T00:00:00Z')),
        otherRunningPass(temporal, second, 'c1', passOf('product-sync/c1/manual')),
      ]);
      const ahead = answers.indexOf(null);
      assert.equal(answers.filter((a) => a === null).length, 1, `exactly one goes ahead: ${answers.join(', ')}`);
      const winner = ahead === 0 ? 'product-sync/c1-2026-01-01T00:00:00Z' : 'product-sync/c1/manual';
      assert.equal(answers[1 - ahead], winner);
      assert.equal((await first.passClaimHolder('c1'))?.workflowId, winner);
    });

    test('a holder still running keeps the claim; one closed or unknown to Temporal is taken over; a new run of the same id takes its own', async () => {
      const store = (await fresh())();
      await store.claimPass('c1', null, passOf('old'));
      assert.equal(await otherRunningPass(temporalSaying(new Set(['old', 'new'])), store, 'c1', passOf('new')), 'old');
      assert.deepEqual(await store.passClaimHolder('c1'), passOf('old'), 'a pass that skips takes nothing');

      assert.equal(await otherRunningPass(temporalSaying(new Set(['new']), new Set(['old'])), store, 'c1', passOf('new')), null, 'closed: taken over');
      assert.deepEqual(await store.passClaimHolder('c1'), passOf('new'));
      assert.equal(
        await otherRunningPass(temporalSaying(new Set(['new'])), store, 'c1', passOf('new')),
        null,
        'asked again by the same run (a retry): still its own',
      );

      assert.equal(await otherRunningPass(temporalSaying(new Set(['next'])), store, 'c1', passOf('next')), null, 'unknown to Temporal (gone): taken over');
      // Only one run of an id is open at a time: Temporal says the id runs, and that is the asking run itself.
      const manual = 'product-sync/c1/manual';
      await store.claimPass('c1', passOf('next'), passOf(manual, 'first-run'));
      assert.equal(await otherRunningPass(temporalSaying(new Set([manual])), store, 'c1', passOf(manual, 'second-run')), null);
      assert.deepEqual(await store.passClaimHolder('c1'), passOf(manual, 'second-run'));
    });
  });
}

passClaimContract('FileProductStateStore', async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-pass-claim-'));
  return () => new FileProductStateStore(directory);
});

passClaimContract('PostgresProductStateStore', async () => {
  const url = await freshDatabase();
  await migrate(pool(url));
  return () => new PostgresProductStateStore(pool(url));
});

describe('the migrations', () => {
  const allFiles = readMigrations().map((m) => m.file);

  test('applied in order once; a second run applies nothing', async () => {
    assert.deepEqual(allFiles.slice(0, 2), ['001_product_state.sql', '002_agent_leases.sql']);
    const db = pool(await freshDatabase());
    assert.deepEqual((await migrate(db)).applied, allFiles);
    assert.deepEqual((await migrate(db)).applied, []);
    const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.map((r) => r.version),
      readMigrations().map((m) => m.version),
    );
  });

  test('two workers starting at once: each migration is applied exactly once, neither fails', async () => {
    const url = await freshDatabase();
    const results = await Promise.all([migrate(pool(url)), migrate(pool(url)), migrate(pool(url))]);
    assert.deepEqual(results.flatMap((r) => r.applied).sort(), allFiles);
  });

  test('a slow migration: the second migrator waits for the first, then finds it applied', async () => {
    const directory = mkdtempSync(join(tmpdir(), 's2s-migrations-'));
    writeFileSync(join(directory, '001_slow.sql'), 'SELECT pg_sleep(0.7);\nCREATE TABLE slow_one (id integer PRIMARY KEY);\n');
    writeFileSync(join(directory, '002_rows.sql'), 'INSERT INTO slow_one VALUES (1);\n');
    const url = await freshDatabase();
    const [a, b] = await Promise.all([migrate(pool(url), { directory }), migrate(pool(url), { directory })]);
    assert.deepEqual([...a.applied, ...b.applied].sort(), ['001_slow.sql', '002_rows.sql']);
    assert.ok(a.applied.length === 0 || b.applied.length === 0, 'one migrator applied both, the other none');
    const { rows } = await pool(url).query('SELECT id FROM slow_one');
    assert.equal(rows.length, 1, 'the data migration ran once');
  });

  test('a failing migration rolls back the whole run and names its file', async () => {
    const directory = mkdtempSync(join(tmpdir(), 's2s-migrations-'));
    writeFileSync(join(directory, '001_ok.sql'), 'CREATE TABLE fine (id integer);\n');
    writeFileSync(join(directory, '002_broken.sql'), 'CREATE TABLE broken (id integr);\n');
    const db = pool(await freshDatabase());
    await assert.rejects(migrate(db, { directory }), /migration 002_broken\.sql failed: type "integr" does not exist/);
    const { rows } = await db.query(`SELECT to_regclass('fine') AS fine, to_regclass('schema_migrations') AS migrations`);
    assert.deepEqual(rows[0], { fine: null, migrations: null });
  });

  test('a migration file not named NNN_name.sql is refused', () => {
    const directory = mkdtempSync(join(tmpdir(), 's2s-migrations-'));
    writeFileSync(join(directory, 'add_index.sql'), 'SELECT 1;\n');
    assert.throws(() => readMigrations(directory), /add_index\.sql: a migration is named NNN_name\.sql/);
  });
});

describe('two workers sharing one pass (the scale-out case)', () => {
  const connection = omniConnection();
  const catalog = Array.from({ length: 6 }, (_, i) => ({
    STOCKCODE: `ITEM-${i + 1}`,
    DESCRIPTION: `Item ${i + 1}`,
    EXTRADTLS8: 'ACTIVE',
    SELLINGPRICE1: 10 + i,
    OAvailable: 5,
  }));
  const pages = [catalog.slice(0, 2), catalog.slice(2, 4), catalog.slice(4, 6)];

  function recordingStock2Shop() {
    const pushed: string[] = [];
    const client = {
      async pushProducts(items: Stock2ShopQueueItem[]) {
        pushed.push(...items.map((item) => `${item.product.variants.sku}${item.source.product_active === 'false' ? ' (inactive)' : ''}`));
        return { queued: items.length };
      },
    } as unknown as Stock2ShopClient;
    return { client, pushed };
  }

  /** A pass whose pages run on the given workers, in turn. */
  async function pass(passId: string, workers: ProductStateStore[], stock2shop: Stock2ShopClient) {
    for (const [index, records] of pages.entries()) {
      await syncOneProductPage(
        { connectionId: connection.id, cursor: index === 0 ? null : String(index), full: false, passId },
        { connection, listPage: async () => ({ records, nextCursor: null }), stock2shop, store: workers[index % workers.length]!, heartbeat: () => undefined },
      );
    }
  }

  test('pages marked seen through either worker are all seen by the reconcile of the other; a product gone from the source is the only one unseen', async () => {
    const url = await freshDatabase();
    await migrate(pool(url));
    const workerA = new PostgresProductStateStore(pool(url));
    const workerB = new PostgresProductStateStore(pool(url));
    // A product pushed by an earlier pass, since removed from the source.
    await workerB.recordPushed(connection.id, [product('GONE-1')]);

    const first = recordingStock2Shop();
    await pass('pass-1', [workerA, workerB], first.client);
    assert.deepEqual(first.pushed.sort(), catalog.map((r) => r.STOCKCODE).sort(), 'every product pushed once');

    for (const [reconciler, other] of [
      [workerA, workerB],
      [workerB, workerA],
    ] as const) {
      assert.deepEqual(
        (await reconciler.unseenInPass(connection.id, 'pass-1')).map((p) => p.code),
        ['GONE-1'],
      );
      assert.deepEqual(await reconciler.unseenInPass(connection.id, 'pass-1'), await other.unseenInPass(connection.id, 'pass-1'));
    }
    await workerB.endPass(connection.id, 'pass-1');
    const { rows } = await pool(url).query('SELECT count(*)::int AS n FROM product_pass_seen WHERE pass_id = $1', ['pass-1']);
    assert.equal(rows[0].n, 0, 'the pass rows are deleted by its end, whichever worker ran it');

    // The next pass with the pages on the other workers: nothing changed, nothing pushed again.
    const second = recordingStock2Shop();
    await pass('pass-2', [workerB, workerA], second.client);
    assert.deepEqual(second.pushed, [], 'what one worker pushed, the other knows');
  });

  test('seen rows of a pass that never ended are cleared by age at a later pass end', async () => {
    const url = await freshDatabase();
    await migrate(pool(url));
    const store = new PostgresProductStateStore(pool(url));
    await store.markSeen('c1', 'abandoned', ['A', 'B']);
    await store.markSeen('c1', 'recent-but-open', ['A']);
    await pool(url).query(`UPDATE product_pass_seen SET seen_at = now() - interval '8 days' WHERE pass_id = 'abandoned'`);
    await store.endPass('c1', 'another');
    const { rows } = await pool(url).query<{ pass_id: string }>('SELECT DISTINCT pass_id FROM product_pass_seen');
    assert.deepEqual(
      rows.map((r) => r.pass_id),
      ['recent-but-open'],
    );
  });
});
