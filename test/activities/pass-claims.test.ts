/**
 * The file store's pass claim across processes (the central workers of one machine share the data
 * folder): processes taking the claim over and over at once, each its own store over the same folder,
 * never both win from the same holder. (One process's claimants at once, and the Postgres store's,
 * are in the store contract of postgres-product-state-store.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileProductStateStore } from '../../store/file-store';

const projectRoot = join(__dirname, '..', '..');
const PROCESSES = 4;
const ATTEMPTS = 150;

/**
 * A process that, once told to go (a line on stdin), tries ATTEMPTS times to take the claim from
 * whoever holds it, and prints each win as `<holder it took over from>-><itself>`.
 */
function claimant(directory: string, name: string) {
  const script = `
    const { FileProductStateStore } = require('./store/file-store');
    const store = new FileProductStateStore(process.env.CLAIM_DIR);
    process.stdout.write('ready\\n');
    process.stdin.once('data', async () => {
      for (let attempt = 1; attempt <= ${ATTEMPTS}; attempt++) {
        const holder = await store.passClaimHolder('c1');
        const me = { workflowId: process.env.CLAIMANT + '-' + attempt, runId: 'run' };
        if (await store.claimPass('c1', holder, me)) process.stdout.write((holder ? holder.workflowId : 'nobody') + '->' + me.workflowId + '\\n');
      }
      process.exit(0);
    });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--eval', script], {
    cwd: projectRoot,
    env: { ...process.env, CLAIM_DIR: directory, CLAIMANT: name },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.startsWith('ready\n')) markReady();
  });
  const wins = new Promise<string[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output.split('\n').slice(1, -1)) : reject(new Error(`the claimant ${name} exited with ${code}`))));
  });
  return { ready, go: () => child.stdin.end('go\n'), wins };
}

test(`${PROCESSES} processes taking the claim over and over at once: never two winners from the same holder`, async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-pass-claim-processes-'));
  const claimants = Array.from({ length: PROCESSES }, (_, i) => claimant(directory, `P${i}`));
  await Promise.all(claimants.map((c) => c.ready));
  for (const c of claimants) c.go();
  const wins = (await Promise.all(claimants.map((c) => c.wins))).flat();

  const takenFrom = wins.map((win) => win.split('->')[0]!);
  assert.equal(new Set(takenFrom).size, takenFrom.length, 'each holder was taken over by one claimant at most');
  const holder = (await new FileProductStateStore(directory).passClaimHolder('c1'))?.workflowId;
  assert.ok(
    wins.some((win) => win.endsWith(`->${holder}`)),
    `the holder on file, ${holder}, is a claimant told it won`,
  );
});
