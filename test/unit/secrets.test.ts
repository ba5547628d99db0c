/**
 * Secrets (issue 23, item 6): a webhook secret shorter than 32 bytes stops a start in one line naming
 * its variable, never its value; and every secret the engine reads, however short, is kept out of
 * every log line (the one list: `configuredSecretValues`, applied by `logLineWriter`).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { ConfigurationError, MIN_WEBHOOK_SECRET_BYTES, configuredSecretValues, refuseShortWebhookSecrets, webhookSecretOf } from '../../config/config';
import { GRANT_SIGNING_KEY_VARIABLE } from '../../temporal/agent-grant';
import { formatLogLine } from '../../worker/log-line';
import { logLineWriter } from '../../worker/observability';
import { omniConnection } from './fixtures';

const projectRoot = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const connection = omniConnection({}, { stock2shop: { sourceId: 57, credentialsRef: { token: 'ACME_S2S_TOKEN', webhookSecret: 'ACME_S2S_WEBHOOK_SECRET' } } });
const connectionEntry = {
  id: 'acme-omni',
  sourceKind: 'omni',
  name: 'Acme',
  endpoint: 'http://127.0.0.1:8080',
  credentialsRef: {
    databaseName: 'ACME_OMNI_DATABASE',
    companyName: 'ACME_OMNI_COMPANY',
    databaseUser: 'ACME_OMNI_DB_USER',
    databasePassword: 'ACME_OMNI_DB_PASSWORD',
    omniUser: 'ACME_OMNI_USER',
    omniPassword: 'ACME_OMNI_PASSWORD',
  },
  stock2shop: { sourceId: 57, credentialsRef: { token: 'ACME_S2S_TOKEN', webhookSecret: 'ACME_S2S_WEBHOOK_SECRET' } },
  alerts: { webhookUrlRef: 'ACME_ALERT_URL' },
};
/** A second entry the file holds that does not validate: its secrets are secrets too. */
const badEntry = { id: 'Bad Id', sourceKind: 'isync', credentialsRef: { username: 'BAD_USER', password: 'BAD_PASSWORD' } };

describe('webhook secrets of at least 32 bytes', () => {
  const secretOf = (bytes: number) => 'w'.repeat(bytes);

  test('a 31-byte secret is refused in one line naming its variable, never its value', () => {
    const value = secretOf(MIN_WEBHOOK_SECRET_BYTES - 1);
    assert.throws(
      () => refuseShortWebhookSecrets([connection], { ACME_S2S_WEBHOOK_SECRET: value }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.equal(error.message.split('\n').length, 1, 'one line');
        assert.match(
          error.message,
          /^ACME_S2S_WEBHOOK_SECRET \(the webhook secret of connection acme-omni\) holds 31 bytes: a webhook secret must be at least 32 bytes/,
        );
        assert.ok(!error.message.includes(value), 'the value is not in the line');
        return true;
      },
    );
    assert.equal(webhookSecretOf(connection, { ACME_S2S_WEBHOOK_SECRET: value }), undefined, 'and it never signs a call');
  });

  test('32 bytes pass (counted in bytes: 16 two-byte characters are 32), and no secret is no refusal', () => {
    for (const value of [secretOf(32), 'é'.repeat(16)]) {
      refuseShortWebhookSecrets([connection], { ACME_S2S_WEBHOOK_SECRET: value });
      assert.equal(webhookSecretOf(connection, { ACME_S2S_WEBHOOK_SECRET: value }), value);
    }
    assert.throws(() => refuseShortWebhookSecrets([connection], { ACME_S2S_WEBHOOK_SECRET: 'é'.repeat(15) }), /holds 30 bytes/);
    refuseShortWebhookSecrets([connection], {});
  });

  test("a central worker's start stops on it: its last word is that one line, exit code 1", () => {
    const file = join(dir, 'short-secret.json');
    writeFileSync(file, JSON.stringify({ connections: [connectionEntry] }));
    const script =
      "const { runUntilStopped } = require('./worker/process');" +
      "const { activityDepsFromConfig } = require('./worker/runtime');" +
      "runUntilStopped('central worker', async () => { activityDepsFromConfig(); });";
    const value = secretOf(31);
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, CONNECTIONS_FILE: file, DATA_DIR: join(dir, 'data'), STOCK2SHOP_URL: 'http://127.0.0.1:1', ACME_S2S_WEBHOOK_SECRET: value },
    });
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^central worker: ACME_S2S_WEBHOOK_SECRET \(the webhook secret of connection acme-omni\) holds 31 bytes: /);
    assert.ok(!run.stderr.includes(value) && !run.stdout.includes(value));
  });
});

describe('no secret the engine reads appears in a log line, whatever its length', () => {
  const keyA = Buffer.alloc(32, 1).toString('base64');
  const keyB = Buffer.alloc(32, 2).toString('base64');
  const keyOwn = Buffer.alloc(32, 3).toString('base64');
  const secrets: Record<string, string> = {
    ACME_OMNI_DATABASE: 'OMNIDB-acme',
    ACME_OMNI_COMPANY: 'Acme Trading (PTY) LTD',
    ACME_OMNI_DB_USER: 'readonly-acme',
    ACME_OMNI_DB_PASSWORD: 'db-pass-acme',
    ACME_OMNI_USER: 'Omni-User',
    // Three characters: scrubbed like the rest.
    ACME_OMNI_PASSWORD: 'x7q',
    ACME_S2S_TOKEN: 's2s-token-acme',
    ACME_S2S_WEBHOOK_SECRET: 'acme-webhook-secret-32-bytes-or-more',
    ACME_ALERT_URL: 'https://hooks.example/T000/B000/alert-token',
    BAD_USER: 'bad-user',
    BAD_PASSWORD: 'bad-pw',
    ALERT_WEBHOOK_URL: 'https://hooks.example/T111/B111/central-token',
    CODEC_SERVER_TOKEN: 'codec-server-token',
    TEMPORAL_API_KEY: 'temporal-api-key-value',
    [GRANT_SIGNING_KEY_VARIABLE]: 'MC4CAQAwBQYDK2VwBCIEIGrantSigningKeyBase64==',
  };
  const databasePassword = 'pg-p@ss';
  const file = join(dir, 'connections.json');
  writeFileSync(file, JSON.stringify({ connections: [connectionEntry, badEntry] }));
  const env: NodeJS.ProcessEnv = {
    ...secrets,
    CONNECTIONS_FILE: file,
    DATA_DIR: join(dir, 'data-none'),
    PAYLOAD_CODEC_KEYS: `k2:${keyA},k1:${keyB}`,
    PAYLOAD_CODEC_KEYS_ACME_OMNI: `own1:${keyOwn}`,
    DATABASE_URL: `postgres://engine:${encodeURIComponent(databasePassword)}@db.example:5432/engine`,
  };
  const every = [...Object.values(secrets), keyA, keyB, keyOwn, databasePassword];

  /** Log lines that carry each secret every way a line can: message, field, nested, error, key, URL, JSON, a URL query. */
  function writeEveryWay(write: (line: { level: string; message: string } & Record<string, unknown>) => void, values: string[]): void {
    for (const secret of values) {
      write({ level: 'warn', message: `failed with ${secret}!`, field: secret, nested: { deeper: [secret, { again: `<${secret}>` }] } });
      write({ level: 'error', message: 'an error', error: new Error(`Login refused for ${secret}`), [secret]: 'as a key' });
      write({ level: 'info', message: `GET /api?token=${encodeURIComponent(secret)}&x=${encodeURIComponent(secret)}`, body: JSON.stringify({ secret }) });
    }
  }

  test('the list holds each of them: the connections (a bad entry too), the key rings, the engine’s own, the database password', () => {
    const list = configuredSecretValues(env);
    for (const secret of every) assert.ok(list.includes(secret), `missing ${secret}`);
    assert.ok(!list.includes('k2') && !list.includes('own1'), 'key ids are not secret');
  });

  test('written through logLineWriter, not one of them (plain, URL- or JSON-encoded) appears', () => {
    let text = '';
    const write = logLineWriter('central', env, (chunk) => (text += chunk));
    writeEveryWay(write, every);
    for (const secret of every) {
      for (const spelling of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
        assert.ok(!text.includes(spelling), `${spelling} appears in a log line`);
      }
    }
    for (const line of text.trim().split('\n')) JSON.parse(line);
  });

  test("the demo's key ring and codec token under the data folder count when no variable replaces them", () => {
    const data = join(dir, 'data-demo');
    mkdirSync(join(data, 'codec'), { recursive: true });
    writeFileSync(join(data, 'codec', 'demo-keys'), `demo:${keyOwn}\n`);
    writeFileSync(join(data, 'codec', 'server-token'), 'demo-codec-token\n');
    let text = '';
    const write = logLineWriter('codec-server', { CONNECTIONS_FILE: file, DATA_DIR: data }, (chunk) => (text += chunk));
    writeEveryWay(write, [keyOwn, 'demo-codec-token']);
    assert.ok(!text.includes(keyOwn) && !text.includes('demo-codec-token'));
  });

  test('any secret of 1 to 12 characters, however it is spelled into a line, is not in it', () => {
    const secret = fc.string({ unit: fc.constantFrom(...'aZ09-_.:/"\\{},@#%+ é\u202e'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(secret, fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), fc.integer(), (value, around, number) => {
        let text = '';
        writeEveryWay((line) => (text += formatLogLine({ component: 'c', ...line, around, number }, [value])), [value]);
        assert.ok(!text.includes(value), `${JSON.stringify(value)} in ${text}`);
      }),
      { numRuns: 1500 },
    );
  });
});
