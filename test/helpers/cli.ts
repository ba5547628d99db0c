import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { runCli } from '../../client/cli';
import type { Stack } from './stack';

/** The CLI in this process against the test's server and connections: its exit code and the lines a user reads. */
export function cliAgainst(env: TestWorkflowEnvironment, stack: Pick<Stack, 'connections'>) {
  return async (...argv: string[]): Promise<{ code: number; lines: string[] }> => {
    const lines: string[] = [];
    const code = await runCli(argv, { client: async () => env.client, connections: () => stack.connections, out: (l) => lines.push(l) });
    return { code, lines };
  };
}
