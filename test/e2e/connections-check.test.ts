/**
 * `connections check <connectionId>` end to end: the CLI as a process against the real dev server,
 * the workers (a confined Omni agent in its client's namespace) and the simulators. Every check
 * passes for a good connection; each mistake is a ✗ with what to do and exit code 1; an Omni source
 * this machine does not reach is asked through its agent; `status` says when each was last checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { MemorySessionCoordinator } from '../../connectors';
import { ConnectionSchema } from '../../domain';
import { startStock2ShopSimulator } from '../../simulators';
import { ConnectionCheckFiles } from '../../store/connection-checks';
import { checkStock2Shop } from '../../client/connection-check-stock2shop';
import { runCliProcess } from '../helpers/cli';
import { freePort } from '../helpers/ports';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import {
  isyncLogin,
  ISYNC_CONNECTION_ID,
  OMNI_CONNECTION_ID,
  omniLogin,
  runBothWorkers,
  startStack,
  STOCK2SHOP_TOKENS,
  STOCK2SHOP_USERS,
  WEBHOOK_SECRETS,
  type Stack,
} from '../helpers/stack';

describe('connections check', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;
  let cliEnv: NodeJS.ProcessEnv;
  let entries: Record<string, unknown>[];
  const check = (id: string, extra: NodeJS.ProcessEnv = {}, ...more: string[]) => runCliProcess(['connections', 'check', id, ...more], { ...cliEnv, ...extra });
  /** A connections file of this test: the stack's entries, changed by `change`. */
  const connectionsFile = (name: string, change: (entries: Record<string, unknown>[]) => Record<string, unknown>[]) => {
    const file = join(stack.dataDir, name);
    writeFileSync(file, JSON.stringify({ connections: change(entries) }));
    return file;
  };

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [
        { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 },
        { STOCKCODE: 'FAN-07', DESCRIPTION: 'Fan', EXTRADTLS8: 'MAYBE', SELLINGPRICE1: 99, OAvailable: 3 },
      ],
      // Confined: its agent polls its client's own namespace.
      omniConnection: { agent: {} },
    });
    workers = await runBothWorkers(stack);
    entries = (JSON.parse(readFileSync(join(stack.dataDir, 'connections.json'), 'utf8')) as { connections: Record<string, unknown>[] }).connections;
    cliEnv = {
      TEMPORAL_ADDRESS: env.address,
      CONNECTIONS_FILE: join(stack.dataDir, 'connections.json'),
      DATA_DIR: stack.dataDir,
      PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT,
      STOCK2SHOP_URL: stack.stock2shop.apiUrl,
      ACME_OMNI_USER: omniLogin.userName,
      ACME_OMNI_PASSWORD: omniLogin.password,
      ACME_OMNI_COMPANY: omniLogin.companyName,
      BRAVO_ISYNC_USER: isyncLogin.userName,
      BRAVO_ISYNC_PASSWORD: isyncLogin.password,
      ACME_S2S_USER: STOCK2SHOP_USERS[OMNI_CONNECTION_ID].username,
      ACME_S2S_PASSWORD: STOCK2SHOP_USERS[OMNI_CONNECTION_ID].password,
      BRAVO_S2S_TOKEN: STOCK2SHOP_TOKENS[ISYNC_CONNECTION_ID],
      ACME_S2S_WEBHOOK_SECRET: WEBHOOK_SECRETS[OMNI_CONNECTION_ID],
      BRAVO_S2S_WEBHOOK_SECRET: WEBHOOK_SECRETS[ISYNC_CONNECTION_ID],
    };
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  test('a good connection: every check passes, one line each; --json for scripts; exit 0', async () => {
    const omni = await check(OMNI_CONNECTION_ID);
    assert.deepEqual([omni.code, omni.stderr], [0, '']);
    const lines = omni.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `acme-omni: Omni Accounts at ${stack.omni.url}; source checked from this machine`);
    assert.match(lines[1]!, /^✓ source answers +Omni Accounts answered \(\d+ ms\)$/);
    assert.match(lines[2]!, /^✓ source login +Omni Accounts accepted the login in ACME_OMNI_USER, ACME_OMNI_PASSWORD and ACME_OMNI_COMPANY$/);
    assert.match(lines[3]!, /^✓ first page +2 product\(s\) listed; 1 of 2 map cleanly \(first that does not: FAN-07 EXTRADTLS8: must be one of/);
    assert.match(lines[4]!, /^✓ order path +a find of order S2S-ENGINE-CHECK-0, which no channel sends, answered: none$/);
    assert.match(
      lines[5]!,
      /^✓ Stock2Shop login +Stock2Shop user acme-engine accepted \(logged in now: the processes calling as this user log in again once\); rate limit: not announced \(Stock2Shop sends x-S2S-RateLimit with a 429 only\); the connection paces the account of ACME_S2S_USER and ACME_S2S_PASSWORD at 1000 requests\/s$/,
    );
    assert.match(lines[6]!, /^✓ webhook secret +ACME_S2S_WEBHOOK_SECRET is set \(36 bytes\)$/);
    assert.match(lines[7]!, /^✓ agent +omni\/acme-omni in namespace client-acme-omni polled \d+ s ago by /);
    assert.equal(lines.length, 8);

    const isync = await check(ISYNC_CONNECTION_ID, {}, '--json');
    assert.equal(isync.code, 0, isync.stderr);
    const report = JSON.parse(isync.stdout) as { ok: boolean; sourceCheckedFrom: string; checks: { name: string; status: string; detail: string }[] };
    assert.equal(report.ok, true);
    assert.equal(report.sourceCheckedFrom, 'this machine');
    assert.deepEqual(
      report.checks.map((c) => [c.name, c.status]),
      [
        ['source answers', 'pass'],
        ['source login', 'pass'],
        ['first page', 'pass'],
        ['order path', 'pass'],
        ['Stock2Shop login', 'pass'],
        ['webhook secret', 'pass'],
        ['iSync workers', 'pass'],
      ],
    );
    assert.match(report.checks[4]!.detail, /^a fixed Stock2Shop token accepted; rate limit: not announced/);
    // The last check is kept for `status`, owner-only, with its verdict and no check's words.
    const kept = join(stack.dataDir, 'connection-checks', `${OMNI_CONNECTION_ID}.json`);
    assert.equal(statSync(kept).mode & 0o777, 0o600);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(kept, 'utf8')) as object).sort(), ['at', 'connectionId', 'failed', 'ok', 'passed', 'skipped']);
  });

  test('each mistake is a ✗ with what to do, and exit code 1; a second login within 10 minutes is not made', async () => {
    const file = connectionsFile('connections-mistakes.json', (all) => [
      ...all.map((entry) =>
        entry.id === ISYNC_CONNECTION_ID ? { ...entry, stock2shop: { ...(entry.stock2shop as object), credentialsRef: { token: 'BRAVO_S2S_TOKEN' } } } : entry,
      ),
      // An Omni connection whose agent never ran.
      { ...entries[0], id: 'carol-omni', agent: undefined },
    ]);
    const [omni, isync, carol] = await Promise.all([
      check(OMNI_CONNECTION_ID, { CONNECTIONS_FILE: file, ACME_OMNI_PASSWORD: 'wrong', ACME_S2S_WEBHOOK_SECRET: 'short' }),
      check(ISYNC_CONNECTION_ID, { CONNECTIONS_FILE: file, BRAVO_S2S_TOKEN: 'not-a-token' }),
      check('carol-omni', { CONNECTIONS_FILE: file }),
    ]);
    const linesOf = (answer: { stdout: string }) => answer.stdout.trimEnd().split('\n');
    assert.equal(omni.code, 1);
    assert.equal(omni.stderr, 'error: 2 of 7 checks of acme-omni failed\n');
    const acme = linesOf(omni);
    assert.match(
      acme[2]!,
      /^✗ source login +Omni Accounts refused the login of user "Guest" of company "Acme Trading \(PTY\) LTD" \(401\).*: set ACME_OMNI_USER/,
    );
    assert.doesNotMatch(omni.stdout, /wrong/);
    assert.match(acme[3]!, /^– first page +not checked: the login was refused$/);
    // The first test logged in as this user a moment ago: the check does not end the workers' token again.
    assert.match(
      acme[5]!,
      /^– Stock2Shop login +not logged in again: this check logged in as acme-engine at \d\d:\d\d UTC.*: check again after \d\d:\d\d UTC$/,
    );
    assert.match(acme[6]!, /^✗ webhook secret +ACME_S2S_WEBHOOK_SECRET holds 5 bytes, fewer than 32: make a longer one/);

    assert.equal(isync.code, 1);
    assert.match(linesOf(isync)[5]!, /^✗ Stock2Shop login +Stock2Shop refused the login of a fixed Stock2Shop token.*: set BRAVO_S2S_TOKEN to a valid token/);
    assert.match(linesOf(isync)[6]!, /^✗ webhook secret +the connection names no stock2shop.credentialsRef.webhookSecret/);
    assert.doesNotMatch(isync.stdout, /not-a-token/);

    assert.equal(carol.code, 1);
    assert.match(
      linesOf(carol).at(-1)!,
      /^✗ agent +nothing polls omni\/carol-omni in namespace default: start it on the client's server: node --import tsx worker\/agent.ts carol-omni$/,
    );
  });

  test('an Omni source this machine does not reach is asked through its agent, and the report says so', async () => {
    const closed = await freePort();
    const file = connectionsFile('connections-far.json', (all) =>
      all.map((entry) => (entry.id === OMNI_CONNECTION_ID ? { ...entry, endpoint: `http://127.0.0.1:${closed}` } : entry)),
    );
    const answer = await check(OMNI_CONNECTION_ID, { CONNECTIONS_FILE: file });
    assert.equal(answer.code, 0, answer.stdout + answer.stderr);
    const lines = answer.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `acme-omni: Omni Accounts at http://127.0.0.1:${closed}; source checked through its agent (this machine does not reach it)`);
    assert.match(lines[1]!, /^✓ source answers +Omni Accounts answered its agent's probe \(a ping and a find\); this machine does not reach it \(/);
    for (const line of lines.slice(2, 5)) {
      assert.match(
        line,
        /^– (source login|first page|order path) +not checked: only its agent reaches Omni Accounts: run `npm run cli -- connections check acme-omni` on the agent's machine/,
      );
    }
  });

  test('status says when each connection was last checked', async () => {
    const status = await runCliProcess(['status'], cliEnv);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout.trimEnd().split('\n').at(-1)!,
      /^last checked: acme-omni ✓ \d{4}-\d\d-\d\d \d\d:\d\d UTC \((just now|\d+ min ago)\) · bravo-isync ✗ Stock2Shop login, webhook secret \d{4}-\d\d-\d\d \d\d:\d\d UTC \((just now|\d+ min ago)\)$/,
    );
  });
});

test('`cli --help` lists connections check', async () => {
  const help = await runCliProcess(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /connections check <connectionId>/);
});

describe("Stock2Shop's check against the simulator", () => {
  test('the rate limit Stock2Shop announces with a 429 is reported', async () => {
    const token = 'rated-token';
    const stock2shop = await startStock2ShopSimulator({ port: 0, tokens: [token], rateLimitPerSecond: 1 });
    try {
      const connection = ConnectionSchema.parse({
        id: 'rated-isync',
        name: 'Rated',
        sourceKind: 'isync',
        endpoint: 'http://127.0.0.1:1',
        credentialsRef: { username: 'U', password: 'P' },
        stock2shop: { sourceId: 7, credentialsRef: { token: 'RATED_TOKEN' } },
      });
      // This second's one call is taken: the check's call is answered 429 first.
      await fetch(`${stock2shop.apiUrl}/queue/summary?token=${token}`);
      const line = await checkStock2Shop(connection, {
        env: { STOCK2SHOP_URL: stock2shop.apiUrl, RATED_TOKEN: token },
        timeoutMs: 10_000,
        coordinator: new MemorySessionCoordinator(),
        shared: false,
        logins: new ConnectionCheckFiles(mkdtempSync(join(tmpdir(), 's2s-checks-'))),
      });
      assert.equal(line.status, 'pass', line.detail);
      assert.match(line.detail, /rate limit: 1 requests\/s announced; the connection paces the account of RATED_TOKEN at 3 requests\/s$/);
    } finally {
      await stock2shop.close();
    }
  });
});
