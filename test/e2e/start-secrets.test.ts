/**
 * What `npm start` (scripts/start.ts) shows to anyone on this machine: the command lines of every
 * process it starts (readable by every local user in /proc) and the Web UI's unauthenticated
 * `GET /api/v1/settings` hold no secret; the Web UI, the codec server and gRPC listen on loopback
 * only; the ready lines say who can read decoded data; and the demo's codec server (loopback mode)
 * decodes for a loopback caller without any token, from the Web UI's origin or none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/orders';

const projectRoot = join(__dirname, '..', '..');
const PORT_NAMES = ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'OMNI_PORT', 'ISYNC_PORT', 'STOCK2SHOP_PORT', 'INTAKE_PORT', 'CODEC_PORT'] as const;
// The demo's secrets, given values of this run's own so they can be looked for.
const DEMO_SECRET_NAMES = [
  'DEMO_OMNI_DB_PASSWORD',
  'DEMO_OMNI_PASSWORD',
  'DEMO_ISYNC_PASSWORD',
  'DEMO_S2S_PASSWORD',
  'DEMO_OMNI_S2S_WEBHOOK_SECRET',
  'DEMO_ISYNC_S2S_WEBHOOK_SECRET',
];
const demoSecrets = Object.fromEntries(DEMO_SECRET_NAMES.map((name) => [name, `${name.toLowerCase()}-${randomBytes(12).toString('hex')}`]));

let child: ChildProcess | undefined;
let output = '';
let exited: Promise<number | null>;
const ports = {} as Record<(typeof PORT_NAMES)[number], number>;
const dataDir = mkdtempSync(join(tmpdir(), 's2s-start-secrets-'));
const ownConnections = existsSync(join(projectRoot, 'config', 'connections.json'));
const skip = ownConnections && 'config/connections.json exists: npm start uses it';

before(async () => {
  if (ownConnections) return;
  for (const name of PORT_NAMES) ports[name] = await freePort();
  const stripped = /^(CONNECTIONS_FILE|STOCK2SHOP_URL|TEMPORAL_ADDRESS|PAYLOAD_CODEC_KEYS.*|CODEC_SERVER_TOKEN|CODEC_OIDC_.*)$/;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !stripped.test(name)));
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: projectRoot,
    env: {
      ...env,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      ...demoSecrets,
      DATA_DIR: dataDir,
      DEMO_ITEMS: '20',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
  let stopped = false;
  void exited.then(() => (stopped = true));
  const outcome = await waitFor(
    async () => (stopped ? 'stopped' : output.includes('[stack] ready') && output.includes('[stack]   CLI') ? 'ready' : undefined),
    'npm start to be ready',
    180_000,
  ).catch((error: Error) => error.message);
  assert.equal(outcome, 'ready', `npm start is not ready (${outcome}); its output:\n${output}`);
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    const stopped = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('late'), 30_000))]);
    if (stopped === 'late') {
      child.kill('SIGKILL');
      await exited;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every secret this stack holds: the demo's, and whatever it generated under its data folder. */
function stackSecrets(): string[] {
  const secrets = Object.values(demoSecrets);
  const read = (file: string) => (existsSync(join(dataDir, file)) ? readFileSync(join(dataDir, file), 'utf8').trim() : undefined);
  // "<id>:<base64 key>[,…]": the keys, not their ids.
  for (const entry of read('codec/demo-keys')?.split(',') ?? []) secrets.push(entry.slice(entry.indexOf(':') + 1));
  const token = read('codec/server-token');
  if (token) secrets.push(token);
  const grants = read('keys/agent-grants.json');
  if (grants) secrets.push(...Object.values(JSON.parse(grants) as Record<string, string>));
  assert.ok(secrets.length > DEMO_SECRET_NAMES.length, 'the demo key was read');
  return secrets;
}

/** The process and every process under it, from /proc. */
function descendants(pid: number): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return [pid, ...children.flatMap(descendants)];
}

const commandLine = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

test('no command line of a process npm start runs holds a secret', { skip }, () => {
  const secrets = stackSecrets();
  const lines = descendants(child!.pid!).map(commandLine);
  const devServer = lines.find((argv) => argv.includes('start-dev'));
  assert.ok(devServer, `the dev server is among npm start's processes: ${JSON.stringify(lines)}`);
  for (const argv of lines) {
    const text = argv.join(' ');
    for (const secret of secrets) assert.ok(!text.includes(secret), `a secret in the command line: ${text}`);
  }
  const endpoint = devServer[devServer.indexOf('--ui-codec-endpoint') + 1];
  assert.equal(endpoint, `http://127.0.0.1:${ports.CODEC_PORT}/codec`, 'the codec endpoint carries nothing but the route');
  const flag = (name: string) => devServer[devServer.indexOf(name) + 1];
  assert.equal(flag('--ip'), '127.0.0.1');
  assert.equal(flag('--ui-ip'), '127.0.0.1');
});

test("the Web UI's unauthenticated settings hold no secret", { skip }, async () => {
  const response = await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/api/v1/settings`);
  assert.equal(response.status, 200);
  const text = await response.text();
  for (const secret of stackSecrets()) assert.ok(!text.includes(secret), `a secret in /api/v1/settings: ${text}`);
  const settings = JSON.parse(text) as { Codec?: { Endpoint?: string } };
  assert.equal(settings.Codec?.Endpoint, `http://127.0.0.1:${ports.CODEC_PORT}/codec`);
});

/** The local addresses listening on `port` (IPv4 and IPv6), from /proc/net/tcp*: hex, as the kernel writes them. */
function listeners(port: number): string[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A' && Number.parseInt(fields[1]!.split(':')[1]!, 16) === port)
      .map((fields) => fields[1]!.split(':')[0]!),
  );
}
const LOOPBACK = new Set(['0100007F', '00000000000000000000000001000000', '0000000000000000FFFF00000100007F']);

test('the Web UI, the codec server and gRPC listen on loopback only', { skip }, () => {
  for (const name of ['TEMPORAL_UI_PORT', 'CODEC_PORT', 'TEMPORAL_PORT'] as const) {
    const addresses = listeners(ports[name]);
    assert.ok(addresses.length > 0, `something listens on ${name} ${ports[name]}`);
    for (const address of addresses) assert.ok(LOOPBACK.has(address), `${name} listens on ${address}, not loopback`);
  }
});

test('the ready lines say who can read decoded data', { skip }, () => {
  const codecLine = output.split('\n').find((line) => line.startsWith('[stack]   Codec server'));
  assert.ok(codecLine, output);
  assert.ok(codecLine.includes(`http://127.0.0.1:${ports.CODEC_PORT}/codec`), codecLine);
  assert.match(output, /anyone who can reach loopback on this machine/);
});

test("the demo's codec server decodes for a loopback caller without a token, and only from the Web UI's origin", { skip }, async () => {
  const codec = `http://127.0.0.1:${ports.CODEC_PORT}/codec`;
  const plain = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"Sipho"').toString('base64') }] };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${codec}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const encoded = await post('/encode', plain);
  assert.equal(encoded.status, 200);
  const ciphertext = await encoded.json();
  for (const origin of [undefined, `http://localhost:${ports.TEMPORAL_UI_PORT}`]) {
    const decoded = await post('/decode', ciphertext, origin ? { origin } : {});
    assert.equal(decoded.status, 200, `origin ${origin}`);
    assert.deepEqual(await decoded.json(), plain);
  }
  const foreign = await post('/decode', ciphertext, { origin: 'https://evil.example' });
  assert.equal(foreign.status, 403);
  await foreign.arrayBuffer();
  const old = await post('/anything/decode', ciphertext);
  assert.equal(old.status, 404);
  await old.arrayBuffer();
});
