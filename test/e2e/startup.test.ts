/**
 * Outside the demo, a worker without a payload key refuses to start, in one line that says what to
 * set; it never runs with personal data in plain text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const projectRoot = join(__dirname, '..', '..');

for (const entry of ['worker/central.ts', 'worker/agent.ts']) {
  test(`${entry} without PAYLOAD_CODEC_KEYS refuses to start, in one line`, () => {
    const { PAYLOAD_CODEC_KEYS: _none, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--import', 'tsx', entry, 'demo-omni'], {
      cwd: projectRoot,
      env: { ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 's2s-nokey-')), STOCK2SHOP_URL: 'http://127.0.0.1:9', TEMPORAL_ADDRESS: '127.0.0.1:9' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /: No payload encryption key: set PAYLOAD_CODEC_KEYS/);
  });
}
