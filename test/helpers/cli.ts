import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { runCli } from '../../client/cli';
import { problemLedgerOf } from '../../store/product-state';
import type { Stack } from './stack';

const projectRoot = join(__dirname, '..', '..');

/**
 * The CLI in this process against the test's server and connections (and, given the stack's `deps`,
 * the problem ledger of its product state store): its exit code and the lines a user reads.
 */
export function cliAgainst(env: TestWorkflowEnvironment, stack: Pick<Stack, 'connections'> & Partial<Pick<Stack, 'deps'>>) {
  const ledger = stack.deps ? (stack.deps.problems ?? problemLedgerOf(stack.deps.productStore)) : undefined;
  return async (...argv: string[]): Promise<{ code: number; lines: string[] }> => {
    const lines: string[] = [];
    const code = await runCli(argv, {
      client: async () => env.client,
      connections: () => stack.connections,
      ...(ledger ? { problems: () => ledger } : {}),
      out: (l) => lines.push(l),
    });
    return { code, lines };
  };
}

/**
 * The CLI as its own process (`node --import tsx client/cli.ts`, what `npm run cli --` runs), with
 * `env` over this process's environment: its exit code, and what it wrote to stdout and to stderr.
 */
export function runCliProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli.ts', ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
