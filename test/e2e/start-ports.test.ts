/**
 * `npm start` (scripts/start.ts) on ports of its own, as a second stack beside the first one would
 * run: the demo connections it writes under its data folder call ITS simulators, its first syncs read
 * from them and reach its Stock2Shop; the webhook's log lines have the workers' shape
 * (`time`, `level`, `component`, `message`); Ctrl-C stops it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/orders';

const projectRoot = join(__dirname, '..', '..');
const PORT_NAMES = ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'OMNI_PORT', 'ISYNC_PORT', 'STOCK2SHOP_PORT', 'INTAKE_PORT', 'CODEC_PORT'] as const;

let child: ChildProcess | undefined;
let output = '';
let exited: Promise<number | null>;
const ports = {} as Record<(typeof PORT_NAMES)[number], number>;
const dataDir = mkdtempSync(join(tmpdir(), 's2s-start-ports-'));
const ownConnections = existsSync(join(projectRoot, 'config', 'connections.json'));

before(async () => {
  if (ownConnections) return;
  for (const name of PORT_NAMES) ports[name] = await freePort();
  // This process's Temporal, Stock2Shop and connections settings are not the stack's.
  const { CONNECTIONS_FILE: _c, STOCK2SHOP_URL: _s, TEMPORAL_ADDRESS: _t, PAYLOAD_CODEC_KEYS: _k, CODEC_SERVER_TOKEN: _ct, ...env } = process.env;
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: projectRoot,
    env: {
      ...env,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      DATA_DIR: dataDir,
      DEMO_ITEMS: '20',
      LOG_LEVEL: 'INFO',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
  let stopped = false;
  void exited.then(() => (stopped = true));
  const outcome = await waitFor(
    async () => (stopped ? 'stopped' : output.includes('[stack] ready') ? 'ready' : undefined),
    'npm start to be ready',
    180_000,
  ).catch((error: Error) => error.message);
  assert.equal(outcome, 'ready', `npm start is not ready (${outcome}); its output:\n${output}`);
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const json = async (url: string) => (await (await fetch(url)).json()) as Record<string, any>;

test(
  'a stack on other ports writes demo connections for its own simulators and syncs from them',
  { skip: ownConnections && 'config/connections.json exists: npm start uses it' },
  async () => {
    const file = join(dataDir, 'connections.demo.json');
    assert.match(output, new RegExp(`\\[stack\\] connections: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(the demo connections`));
    const endpoints = (JSON.parse(readFileSync(file, 'utf8')) as { connections: { id: string; endpoint: string }[] }).connections.map((c) => [
      c.id,
      c.endpoint,
    ]);
    assert.deepEqual(endpoints, [
      ['demo-omni', `http://127.0.0.1:${ports.OMNI_PORT}`],
      ['demo-isync', `http://127.0.0.1:${ports.ISYNC_PORT}`],
    ]);

    // The Omni client's agent is confined to its own namespace, reached through its Nexus endpoint.
    assert.match(output, /agent of demo-omni: namespace client-demo-omni registered, endpoint client-demo-omni created/);
    assert.match(output, /agent for demo-omni \(confined: namespace client-demo-omni, Nexus endpoint client-demo-omni\)/);

    // The first syncs (triggered at start) read this stack's simulators and reach this stack's Stock2Shop.
    const stock2shop = `http://127.0.0.1:${ports.STOCK2SHOP_PORT}`;
    for (const sourceId of [101, 202]) {
      await waitFor(
        async () => ((await json(`${stock2shop}/_control/products?source_id=${sourceId}`)).products?.length > 0 ? true : undefined),
        `products of source ${sourceId} in this stack's Stock2Shop`,
        120_000,
      );
    }
    const omniRequests = (await json(`http://127.0.0.1:${ports.OMNI_PORT}/_control/requests`)).requests as { path: string }[];
    assert.ok(
      omniRequests.some((r) => r.path.startsWith('/Stock Item/')),
      'the Omni simulator of this stack was read',
    );
    const isyncRequests = (await json(`http://127.0.0.1:${ports.ISYNC_PORT}/_control/requests`)).requests as { path: string }[];
    assert.ok(
      isyncRequests.some((r) => r.path.endsWith('/GetProducts')),
      'the iSync simulator of this stack was read',
    );
  },
);

test("the webhook's log lines carry time and level, as the workers' do", { skip: ownConnections && 'config/connections.json exists' }, async () => {
  const refused = await fetch(`http://127.0.0.1:${ports.INTAKE_PORT}/webhooks/orders/101`, { method: 'POST', body: '{"instruction":"add_order"}' });
  assert.equal(refused.status, 401);
  const lines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const intake = await waitFor(async () => lines().find((l) => l.component === 'intake' && l.message === 'webhook_rejected'), 'the refusal in the log');
  const worker = lines().find((l) => l.component !== 'intake');
  assert.ok(worker, 'a worker line');
  for (const line of [intake, worker]) {
    assert.deepEqual(Object.keys(line).slice(0, 4), ['time', 'level', 'component', 'message']);
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(String(line.level), /^(trace|debug|info|warn|error)$/);
  }
  assert.equal(intake.level, 'warn');
  assert.equal(intake.status, 401);
});

test(
  'each demo source signs with a random secret of its own (owner-only files): a call for 101 signed with 202’s secret is refused; the simulator’s deliveries to each source’s path are accepted',
  { skip: ownConnections && 'config/connections.json exists' },
  async () => {
    const secretOf = (name: string) => {
      const file = join(dataDir, 'webhooks', name);
      assert.equal(statSync(file).mode & 0o777, 0o600, `${file} is owner-only`);
      return readFileSync(file, 'utf8').trim();
    };
    const [omni, isync] = [secretOf('demo_omni_s2s_webhook_secret'), secretOf('demo_isync_s2s_webhook_secret')];
    assert.notEqual(omni, isync);
    for (const secret of [omni, isync]) assert.ok(Buffer.byteLength(secret) >= 32, 'at least 32 bytes');
    const body = JSON.stringify({ instruction: 'add_order', source_id: 101, channel_order_code: 'START-CROSSED' });
    const timestamp = Math.floor(Date.now() / 1000);
    const crossed = await fetch(`http://127.0.0.1:${ports.INTAKE_PORT}/webhooks/orders/101`, {
      method: 'POST',
      headers: {
        'x-stock2shop-timestamp': String(timestamp),
        'x-stock2shop-signature': `sha256=${createHmac('sha256', isync).update(`${timestamp}.`).update(body).digest('hex')}`,
      },
      body,
    });
    assert.equal(crossed.status, 401);
    const stock2shop = `http://127.0.0.1:${ports.STOCK2SHOP_PORT}`;
    for (const sourceId of [101, 202]) {
      const code = `START-WEBHOOK-${sourceId}`;
      await fetch(`${stock2shop}/_control/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel_order_code: code, sources: [{ source_id: sourceId }], line_items: [] }),
      });
      const delivery = await waitFor(
        async () =>
          ((await json(`${stock2shop}/_control/webhook`)).deliveries as { channel_order_code: string; url: string; status: number | null }[]).find(
            (d) => d.channel_order_code === code,
          ),
        `the webhook of ${code}`,
      );
      assert.equal(delivery.url, `http://127.0.0.1:${ports.INTAKE_PORT}/webhooks/orders/${sourceId}`);
      assert.equal(delivery.status, 202);
    }
  },
);

test('Ctrl-C stops the stack', { skip: ownConnections && 'config/connections.json exists' }, async () => {
  child!.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.match(output, /\[stack\] stopping…/);
});
