/**
 * The problem ledger and the alert episodes hold no source text quoting a customer, in either store
 * (files under a data folder, and Postgres: a throw-away server started by this file): an order a
 * source refused, naming its customer; a change after the raise whose cancel reason quotes the
 * customer; a product Stock2Shop refused in words quoting one; failed product passes whose failure
 * quotes one, so the schedule is paused. The pause note (kept in plain by Temporal) holds none of it
 * either, nor does any alert sent. A person holding the connection's key still reads each reason
 * whole in `cli problems`; the files are owner-only, and so are the demo's secret files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { RejectedBySourceError, type Stock2ShopClient } from '../../connectors';
import type { Stock2ShopQueueItem } from '../../domain';
import { createActivities } from '../../activities';
import { activityContext } from '../../activities/context';
import { Alerter, type AlertPayload } from '../../activities/alerts';
import { checkProductPasses } from '../../activities/pass-check';
import { syncOneProductPage } from '../../activities/product-pages';
import { runCli } from '../../client/cli';
import { FileProductStateStore } from '../../store/file-store';
import { PostgresProductStateStore } from '../../store/postgres-store';
import { migrate, readMigrations } from '../../store/migrate';
import { openProblem, sealedReports } from '../../store/sealed-problems';
import { demoSecret } from '../../temporal/data-converter';
import { EncryptionCodec, generateKeyRingText, parseKeyRing } from '../../temporal/payload-codec';
import { postgresForTests } from '../helpers/postgres';
import { TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { omniConnection } from '../unit/fixtures';

// The workers' key ring, as their environment gives it.
process.env.PAYLOAD_CODEC_KEYS = TEST_KEY_RING_TEXT;

const QUOTED = ['Thandi Nkosi', '+27 21 555 0101', 'thandi@example.co.za'];
const REFUSAL = 'Customer account Thandi Nkosi not found';
const NOTICE = 'cancelled (by Stock2Shop: Thandi Nkosi called from +27 21 555 0101) while it was being raised as SO7; not applied: cancel SO7 by hand';
const STOCK2SHOP_REFUSAL = 'title may not hold an e-mail address (thandi@example.co.za)';
const PASS_FAILURE = `Product sync of acme-omni: page 1 (after cursor start) failed: Omni Accounts list products: the answer quotes Thandi Nkosi`;

const { pool, freshDatabase } = postgresForTests('pii_at_rest');

type Store = FileProductStateStore | PostgresProductStateStore;

/** What a person could read of the store, without any key. */
type ReadAtRest = () => Promise<string>;

/** A closed pass that failed with `PASS_FAILURE`, as Temporal's client answers it. */
function clientWithFailedPasses(paused: string[]): Client {
  const closedAt = new Date(Date.now() - 60_000);
  const executions = [1, 2].map((i) => ({
    workflowId: `product-sync/acme-omni/manual-${i}`,
    runId: `run-${i}`,
    status: { name: 'FAILED' },
    startTime: new Date(closedAt.getTime() - i * 60_000),
    closeTime: new Date(closedAt.getTime() - (i - 1) * 60_000),
  }));
  return {
    schedule: {
      getHandle: () => ({
        describe: async () => ({ state: { paused: false, note: '' }, info: { createdAt: new Date(Date.now() - 86_400_000), nextActionTimes: [] } }),
        pause: async (note: string) => void paused.push(note),
      }),
    },
    workflow: {
      list: () =>
        (async function* () {
          yield* executions;
        })(),
      getHandle: () => ({
        result: async () => {
          throw new WorkflowFailedError('Workflow execution failed', ApplicationFailure.create({ message: PASS_FAILURE }), RetryState.NON_RETRYABLE_FAILURE);
        },
      }),
    },
  } as unknown as Client;
}

function scenario(kind: string, fresh: () => Promise<{ store: Store; readAtRest: ReadAtRest; directory?: string }>) {
  test(`${kind}: no quoted text at rest, none in the pause note or the alerts; the operator reads every reason`, async () => {
    const { store, readAtRest, directory } = await fresh();
    const connection = omniConnection({}, { alerts: { pauseAfterFailedPasses: 2 } });
    const sent: AlertPayload[] = [];
    // The receiver takes every open alert and refuses the recoveries, so they stay in the store.
    const alerts = {
      env: { ALERT_WEBHOOK_URL: 'http://127.0.0.1:1/alerts' },
      attempts: 1,
      backoffMs: 1,
      post: async (_url: string, payload: AlertPayload) => {
        sent.push(payload);
        if (payload.state === 'recovered') throw new Error('the receiver answered 503');
      },
    };
    const stock2shop = {
      writeOrderFailure: async () => undefined,
      writeOrderCancelled: async () => undefined,
      pushProducts: async (items: Stock2ShopQueueItem[]) => {
        if (items.some((item) => item.source.source_product_code === 'LAMP-01'))
          throw new RejectedBySourceError('stock2shop', 'push products', STOCK2SHOP_REFUSAL);
      },
    } as unknown as Stock2ShopClient;
    const deps = {
      connections: () => [connection],
      secretsOf: () => ({ userName: 'u', password: 'p', companyName: 'c' }),
      stock2shopFor: () => stock2shop,
      productStore: store,
      alerts,
    };
    const activities = createActivities(deps);

    await activities.writeBackOrderFailure({ connectionId: connection.id, channelOrderCode: 'PDR-1', reason: REFUSAL });
    await activities.reportRaisedOrderNotice({ connectionId: connection.id, channelOrderCode: 'PDR-2', sourceOrderCode: 'SO7', notice: NOTICE });
    await activities.writeBackOrderFailure({ connectionId: connection.id, channelOrderCode: 'PDR-3', reason: REFUSAL });
    await activities.writeBackOrderCancelled({ connectionId: connection.id, channelOrderCode: 'PDR-3', reason: `cancelled by ops: ${NOTICE}` });
    const item = (code: string) => ({ STOCKCODE: code, DESCRIPTION: `Lamp ${code}`, EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 1 });
    await syncOneProductPage(
      { connectionId: connection.id, cursor: null, full: false, passId: 'pass-1' },
      {
        connection,
        listPage: async () => ({ records: [item('LAMP-01'), item('LAMP-02')], nextCursor: null }),
        stock2shop,
        store,
        // The ledger `syncProductPages` passes a page: its context's.
        problems: activityContext(deps).problems,
        heartbeat: () => undefined,
      },
    );
    const paused: string[] = [];
    const log = { warn: () => undefined };
    await checkProductPasses(clientWithFailedPasses(paused), connection, new Alerter(store, alerts), store, log);

    const findings: string[] = [];
    const lookFor = (where: string, text: string | undefined) => {
      for (const words of [...QUOTED, REFUSAL, STOCK2SHOP_REFUSAL]) if (text?.includes(words)) findings.push(`${where} holds '${words}'`);
    };
    lookFor('the store', await readAtRest());
    assert.equal(paused.length, 1, 'the schedule is paused');
    lookFor('the pause note', paused[0]);
    for (const alert of sent) lookFor(`the ${alert.kind} alert (${alert.state})`, alert.text);
    if (directory) findings.push(...looserThanOwnerOnly(directory));
    assert.deepEqual(findings, [], 'no source text at rest, in the pause note or in an alert; files 0600, folders 0700');
    assert.ok(
      sent.some((a) => a.kind === 'order_needs_attention' && a.subject === 'PDR-1'),
      'the order alert went out',
    );
    assert.ok(
      sent.some((a) => a.kind === 'schedule_paused'),
      'the pause alert went out',
    );

    // The operator, holding the connection's key (PAYLOAD_CODEC_KEYS), reads each reason whole.
    const lines: string[] = [];
    const code = await runCli(['problems'], {
      client: async () => {
        throw new Error('problems needs no Temporal');
      },
      connections: () => [connection],
      problems: () => store,
      out: (line) => lines.push(line),
    });
    assert.equal(code, 0, lines.join('\n'));
    const text = lines.join('\n');
    assert.match(text, new RegExp(`^acme-omni +order +PDR-1 +- +${REFUSAL} `, 'm'));
    assert.match(text, /^acme-omni +order +PDR-2 .*Thandi Nkosi called from \+27 21 555 0101/m);
    assert.match(
      text,
      new RegExp(
        `^acme-omni +product +LAMP-01 +\\(Stock2Shop\\) +refused by Stock2Shop: title may not hold an e-mail address \\(thandi@example\\.co\\.za\\) `,
        'm',
      ),
    );
    assert.doesNotMatch(text, /PDR-3/, 'cancelled: needs nobody');
  });
}

/** Every file and folder under `root` not owner-only. */
function looserThanOwnerOnly(root: string, at = ''): string[] {
  return readdirSync(join(root, at)).flatMap((name) => {
    const path = join(at, name);
    const stat = statSync(join(root, path));
    const wanted = stat.isDirectory() ? 0o700 : 0o600;
    const own = (stat.mode & 0o777) === wanted ? [] : [`${path} has mode ${(stat.mode & 0o777).toString(8)}`];
    return [...own, ...(stat.isDirectory() ? looserThanOwnerOnly(root, path) : [])];
  });
}

function allText(root: string): string {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(root, path)).isFile())
    .map((path) => `${path}\n${readFileSync(join(root, path), 'utf8')}`)
    .join('\n');
}

describe('personal data at rest in the stores', () => {
  scenario('file store', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 's2s-pii-at-rest-')), 'product-state');
    return { store: new FileProductStateStore(directory), readAtRest: async () => allText(directory), directory };
  });

  scenario('Postgres store', async () => {
    const database = pool(await freshDatabase());
    await migrate(database);
    const readAtRest = async () => {
      const tables = ['problems', 'alert_episodes', 'product_state', 'pass_claims'];
      const rows = await Promise.all(tables.map((table) => database.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`)));
      return rows.flatMap((result) => result.rows.map((r) => r.row)).join('\n');
    };
    return { store: new PostgresProductStateStore(database), readAtRest };
  });

  test("a sealed reason opens with its connection's key only, for that connection only", () => {
    const acme = parseKeyRing(generateKeyRingText('acme-1'));
    const central = new EncryptionCodec({ central: parseKeyRing(TEST_KEY_RING_TEXT), byConnection: new Map([['acme-omni', acme]]) });
    const agent = new EncryptionCodec({ byConnection: new Map([['acme-omni', acme]]) });
    const sealed = agent.sealText('acme-omni', REFUSAL)!;
    assert.match(sealed, /^sealed:v1:acme-1:/);
    assert.equal(sealed.includes('Thandi'), false);
    assert.equal(central.openText('acme-omni', sealed), REFUSAL, 'the central side holds every ring');
    assert.equal(central.openText('bravo-isync', sealed), undefined, "not as another connection's");
    assert.equal(agent.sealText('bravo-isync', REFUSAL), undefined, "an agent holds no key of another connection's");
    assert.equal(new EncryptionCodec(parseKeyRing(TEST_KEY_RING_TEXT)).openText('acme-omni', sealed), undefined, 'nor does a process without its ring');
    const altered = sealed.slice(0, -6) + (sealed.endsWith('AAAA==') ? 'AAAB==' : 'AAAA==');
    assert.equal(central.openText('acme-omni', altered), undefined, 'altered');
    const problem = { connectionId: 'acme-omni', kind: 'order' as const, code: 'PDR-1', field: '', firstSeen: new Date(), lastSeen: new Date() };
    const [report] = sealedReports('acme-omni', [{ ...problem, reason: REFUSAL }], agent);
    assert.equal(openProblem({ ...problem, ...report! }, [agent]).reason, REFUSAL);
    assert.match(openProblem({ ...problem, ...report! }, []).reason, /^needs a person: .* \(the source's words are sealed with the key of acme-omni\)$/);
  });

  test('written before: plain reasons and alert texts are replaced by the engine words, in files and in Postgres', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 's2s-pii-legacy-')), 'product-state');
    const old = {
      connectionId: 'acme-omni',
      kind: 'order',
      code: 'PDR-1',
      field: '',
      reason: REFUSAL,
      firstSeen: '2026-11-30T10:00:00Z',
      lastSeen: '2026-11-30T10:00:00Z',
    };
    mkdirSync(join(directory, 'acme-omni', 'problems', 'order'), { recursive: true });
    mkdirSync(join(directory, 'acme-omni', 'alerts'), { recursive: true });
    writeFileSync(join(directory, 'acme-omni', 'problems', 'order', 'PDR-1~0.json'), JSON.stringify(old));
    const episode = {
      connectionId: 'acme-omni',
      kind: 'order_needs_attention',
      subject: 'PDR-1',
      startedAt: old.firstSeen,
      message: `order PDR-1 needs a person: ${REFUSAL}`,
    };
    writeFileSync(
      join(directory, 'acme-omni', 'alerts', 'order_needs_attention~PDR-1~0.json'),
      JSON.stringify({ ...episode, openSentAt: null, recoveredAt: null, recoveryMessage: null, claimedUntil: 0 }),
    );
    const store = new FileProductStateStore(directory);
    assert.equal(allText(directory).includes('Thandi'), false, 'scrubbed as the store opens');
    assert.deepEqual(
      (await store.openProblems()).map((p) => [p.code, p.reason]),
      [['PDR-1', 'needs a person: `npm run cli -- order status acme-omni PDR-1` says why']],
    );
    assert.equal((await store.alertEpisodes('acme-omni'))[0]!.message, 'order needs attention: PDR-1; `npm run cli -- status acme-omni` says more');

    // Postgres: rows written under 007, then migration 008.
    const database = pool(await freshDatabase());
    const before = mkdtempSync(join(tmpdir(), 's2s-migrations-'));
    for (const migration of readMigrations().filter((m) => Number(m.version) <= 7)) writeFileSync(join(before, migration.file), migration.sql);
    await migrate(database, { directory: before });
    await database.query(
      `INSERT INTO problems (connection_id, kind, code, field, reason) VALUES ('acme-omni', 'order', 'PDR-1', '', $1), ('acme-omni', 'product', 'L-1', 'F', $2)`,
      [REFUSAL, `refused by Stock2Shop: ${STOCK2SHOP_REFUSAL}`],
    );
    await database.query(
      `INSERT INTO alert_episodes (connection_id, kind, subject, message, recovery_message) VALUES ('acme-omni', 'order_needs_attention', 'PDR-1', $1, $1)`,
      [episode.message],
    );
    await migrate(database);
    const rows = await database.query<{ row: string }>(`SELECT t::text AS row FROM problems t UNION ALL SELECT t::text FROM alert_episodes t`);
    const text = rows.rows.map((r) => r.row).join('\n');
    for (const words of QUOTED) assert.equal(text.includes(words), false, `a row holds '${words}': ${text}`);
    assert.deepEqual(
      (await new PostgresProductStateStore(database).openProblems()).map((p) => [p.code, p.reason]),
      [
        ['PDR-1', 'needs a person: `npm run cli -- order status acme-omni PDR-1` says why'],
        ['L-1', 'refused by Stock2Shop'],
      ],
    );
  });

  test("the demo's secret files: 0600, in folders 0700", () => {
    const root = mkdtempSync(join(tmpdir(), 's2s-demo-secret-'));
    demoSecret(join(root, 'data', 'codec', 'demo-keys'), () => 'k1:secret');
    demoSecret(join(root, 'data', 'keys', 'grant-keys'), () => 'secret');
    assert.deepEqual(looserThanOwnerOnly(root), []);
  });
});
