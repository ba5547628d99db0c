/**
 * Stock2Shop's sessions and limit, against the simulator (written from Stock2Shop's side): a login's
 * token renewed once when it expires; logins of one user coordinated through the shared Postgres, so
 * several "processes" that find the token invalid at once log in once; a 429 without Retry-After waits
 * and the gate slows to the `x-S2S-RateLimit` it announces; a fight over one user stops, saying why.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationError, createStock2ShopClient, MemorySessionCoordinator, Stock2ShopSession } from '../../connectors';
import { parseConnection } from '../../domain';
import { stock2shopGates } from '../../activities/stock2shop-gate';
import { migrate } from '../../store/migrate';
import { PostgresSessionCoordinator } from '../../store/stock2shop-sessions';
import { EncryptionCodec, parseKeyRing } from '../../temporal/payload-codec';
import { startStock2ShopSimulator, type Stock2ShopSimulator } from '../../simulators';
import { postgresForTests } from '../helpers/postgres';
import { TEST_KEY_RING_TEXT } from '../helpers/temporal';

const USER = { username: 'limits-engine', password: 'limits-password', account: 'limits' };
const postgres = postgresForTests('stock2shop_limits');
let sim: Stock2ShopSimulator;

before(async () => {
  sim = await startStock2ShopSimulator({ port: 0, users: [USER], rateLimitPerSecond: 3 });
});
after(async () => {
  await sim?.close();
});

const login = { kind: 'user', username: USER.username, password: USER.password } as const;
const loginsSoFar = () => sim.logins().filter((l) => l.username === USER.username).length;

function connectionAt(requestsPerSecond: number) {
  return parseConnection({
    id: 'limits-isync',
    name: 'Limits (iSync)',
    sourceKind: 'isync',
    endpoint: 'http://127.0.0.1:1',
    credentialsRef: { username: 'U', password: 'P' },
    stock2shop: { sourceId: 1, credentialsRef: { username: 'S2S_USER', password: 'S2S_PASSWORD' }, requestsPerSecond },
    settings: { param_shipping_code: 'SHIP' },
  });
}

test('an expired token is renewed once; a 429 without Retry-After waits, and the gate slows to the announced limit', async () => {
  const before = loginsSoFar();
  const connection = connectionAt(12);
  const gate = stock2shopGates('central', 1, () => [connection])(connection);
  const session = new Stock2ShopSession({ endpoint: sim.apiUrl, login, coordinator: new MemorySessionCoordinator() });
  const client = createStock2ShopClient({ endpoint: sim.apiUrl, session, gate });
  await client.queueSummary();
  sim.expireTokens();
  sim.clearRequests();
  // 15 calls asked for at 12/s against an account that takes 3/s: every one answered.
  await Promise.all(Array.from({ length: 15 }, () => client.queueSummary()));
  const refused = sim.requests().filter((entry) => entry.status === 429).length;
  assert.equal(loginsSoFar() - before, 2, 'the first login, and one after the expiry');
  assert.ok(refused >= 1, 'the account refused some at first');
  assert.ok(refused <= 4, `then the gate kept to the announced 3/s: ${refused} refused`);
});

test('several processes that find the shared token invalid at once log in once, through the shared Postgres', async () => {
  const pool = postgres.pool(await postgres.freshDatabase());
  await migrate(pool);
  const sealer = new EncryptionCodec(parseKeyRing(TEST_KEY_RING_TEXT));
  const processes = Array.from({ length: 3 }, () => {
    const session = new Stock2ShopSession({ endpoint: sim.apiUrl, login, coordinator: new PostgresSessionCoordinator(pool, sealer) });
    return createStock2ShopClient({ endpoint: sim.apiUrl, session });
  });
  const before = loginsSoFar();
  await Promise.all(processes.map((client) => client.queueSummary()));
  assert.equal(loginsSoFar() - before, 1, 'one login for three processes');
  sim.expireTokens();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await Promise.all(processes.flatMap((client) => [client.queueSummary(), client.queueSummary()]));
  assert.equal(loginsSoFar() - before, 2, 'one more login for the expiry, whichever process found it first');
  const { rows } = await pool.query<{ token_sealed: string }>('SELECT token_sealed FROM stock2shop_sessions');
  assert.equal(rows.length, 1);
  assert.match(rows[0]!.token_sealed, /^sealed:v1:/, 'the shared token is kept sealed');
});

test('two processes logging in as one user without sharing its token stop with a clear error instead of a login loop', async () => {
  const [a, b] = [0, 1].map(() =>
    createStock2ShopClient({
      endpoint: sim.apiUrl,
      session: new Stock2ShopSession({ endpoint: sim.apiUrl, login, coordinator: new MemorySessionCoordinator() }),
    }),
  );
  const before = loginsSoFar();
  let error: unknown;
  try {
    for (let i = 0; i < 10; i++) {
      await a!.queueSummary();
      await new Promise((resolve) => setTimeout(resolve, 400));
      await b!.queueSummary();
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof AuthenticationError, `stopped with an AuthenticationError, got ${String(error)}`);
  assert.match((error as Error).message, /another process logs in as this user/);
  assert.ok(loginsSoFar() - before <= 8, `logins stopped: ${loginsSoFar() - before}`);
});

test('logins that fail while Stock2Shop is down are not counted as a fight over the user', async () => {
  const session = new Stock2ShopSession({ endpoint: sim.apiUrl, login, coordinator: new MemorySessionCoordinator() });
  const client = createStock2ShopClient({ endpoint: sim.apiUrl, session, timeoutMs: 2000 });
  await sim.setFaults({ errorRate: 1, status: 503 });
  for (let i = 0; i < 4; i++) await assert.rejects(client.queueSummary());
  await sim.clearFaults();
  await client.queueSummary();
});

test('a process whose key cannot open the shared token still moves on to the newest login, never back', async () => {
  const pool = postgres.pool(await postgres.freshDatabase());
  await migrate(pool);
  const ring = (id: string) => `${id}:${Buffer.alloc(32, id.length).toString('base64')}`;
  const processOf = (keyId: string) => {
    const session = new Stock2ShopSession({
      endpoint: sim.apiUrl,
      login,
      coordinator: new PostgresSessionCoordinator(pool, new EncryptionCodec(parseKeyRing(ring(keyId)))),
    });
    return createStock2ShopClient({ endpoint: sim.apiUrl, session });
  };
  // A rolling key rotation: A seals with the old key, B with a new one neither can read of the other.
  const [a, b] = [processOf('old'), processOf('rotated')];
  await a.queueSummary();
  await b.queueSummary();
  await a.queueSummary();
  await b.queueSummary();
  const { rows } = await pool.query<{ generation: number }>('SELECT generation FROM stock2shop_sessions');
  assert.ok(rows[0]!.generation >= 3, `the generation only goes up: ${rows[0]!.generation}`);
});

test('a call waiting for its turn under the account limit is not timed out by that wait', async () => {
  await new Promise((resolve) => setTimeout(resolve, 1100));
  // Under the account's 3/s, so that nothing is refused for rate: the wait is the gate's own.
  const connection = connectionAt(2.5);
  const gate = stock2shopGates('central', 1, () => [connection])(connection);
  const session = new Stock2ShopSession({ endpoint: sim.apiUrl, login, coordinator: new MemorySessionCoordinator() });
  const client = createStock2ShopClient({ endpoint: sim.apiUrl, session, gate, timeoutMs: 1000 });
  // 9 calls at 2.5 a second take 3.6 s, over three times the calls' own deadline: every one answered.
  const results = await Promise.allSettled(Array.from({ length: 9 }, () => client.queueSummary()));
  assert.deepEqual(
    results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
    [],
  );
});
