import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** Starts a simulator's main.ts, waits for its one line, checks it answers, then stops it with SIGTERM. */
async function runMain(name: string, args: string[], probe: (url: string) => Promise<number>): Promise<{ line: string; exitCode: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `simulators/${name}/main.ts`, '--port', '0', ...args], { cwd: root });
  const line = await new Promise<string>((resolveLine, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolveLine(output.split('\n')[0] as string);
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
  });
  const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(line)?.[1];
  assert.ok(url, line);
  assert.equal(await probe(url), 200);
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  child.kill('SIGTERM');
  return { line, exitCode: await exited };
}

test('each main.ts prints where it listens and stops cleanly on SIGTERM', async () => {
  const omni = await runMain(
    'omni',
    ['--items', '500', '--user', 'u', '--password', 'p', '--company', 'C (PTY) LTD'],
    async (url) => (await fetch(`${url}/Company/?UserName=u&Password=p&CompanyName=C+%28PTY%29+LTD`)).status,
  );
  assert.match(omni.line, /Omni Accounts simulator listening on .* \(500 stock items/);
  assert.equal(omni.exitCode, 0);

  const isync = await runMain(
    'isync',
    ['--items', '50'],
    async (url) =>
      (await fetch(`${url}/UAT2EAI/MessageService.svc/Ping`, { method: 'POST', body: JSON.stringify({ UserName: 'demo@isync.example', Password: 'isync' }) }))
        .status,
  );
  assert.match(isync.line, /iSync simulator listening on/);
  assert.equal(isync.exitCode, 0);

  const dataDir = mkdtempSync(join(tmpdir(), 's2s-cli-'));
  try {
    const stock2shop = await runMain('stock2shop', ['--data', dataDir, '--token', 't'], async (url) => (await fetch(`${url}/v1/queue/summary?token=t`)).status);
    assert.match(stock2shop.line, /Stock2Shop simulator listening on/);
    assert.equal(stock2shop.exitCode, 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
