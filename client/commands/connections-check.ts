/** `connections check <connectionId>`: live checks of one connection; and, for `status`, when each was last checked. */
import type { Command } from 'commander';
import { MemorySessionCoordinator } from '../../connectors';
import type { Connection } from '../../domain';
import { checkConnection, lastCheckOf, renderCheckReport } from '../connection-check';
import { findConnection, type CliContext } from '../cli-context';

export function registerConnectionsCheck(connections: Command, context: CliContext): void {
  connections
    .command('check <connectionId>')
    .summary('live checks of one connection: source, its login, a first page, the order path, Stock2Shop, webhook secret, agent')
    .description(
      "live checks of one connection, one line each with ✓, ✗ and what to do, or – (not checked from here, and why): the source answers; its login is accepted; a first page lists and how many of a sample map cleanly; the order path answers (a find of an order code no channel sends); Stock2Shop accepts the connection's login and the rate limit it announces; the webhook secret is set; the agent of an Omni connection (or the iSync workers) polls its queue. " +
        "An Omni source this machine does not reach is asked through its agent's probe. Exits 1 when a check fails. `status` shows when each connection was last checked",
    )
    .option('--json', 'print JSON (the report: every check with its status, detail and what to do), for scripts')
    .action(async (connectionId: string, options: { json?: boolean }) => {
      const connection = findConnection(context, connectionId);
      const sessions = context.stock2shopSessions?.() ?? { coordinator: new MemorySessionCoordinator(), shared: false };
      const files = context.connectionChecks?.();
      const report = await checkConnection(connection, { client: await context.client(), env: process.env, ...sessions, ...(files ? { logins: files } : {}) });
      files?.record(lastCheckOf(report));
      if (options.json) context.out(JSON.stringify(report, null, 2));
      else for (const line of renderCheckReport(connection, report)) context.out(line);
      const failed = report.checks.filter((c) => c.status === 'fail').length;
      if (failed > 0) throw new Error(`${failed} of ${report.checks.length} checks of ${connection.id} failed`);
    });
}

const shortTime = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function ago(at: Date, now: Date): string {
  const minutes = Math.round((now.getTime() - at.getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  return minutes < 48 * 60 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1440)} days ago`;
}

/** For `status`: one line saying when each connection was last checked and how it went (none without a check store). */
export function lastCheckLines(context: CliContext, connections: readonly Connection[], now: Date = new Date()): string[] {
  const files = context.connectionChecks?.();
  if (!files || connections.length === 0) return [];
  const parts = connections.map((connection) => {
    const last = files.lastOf(connection.id);
    if (!last) return `${connection.id} never (\`connections check ${connection.id}\`)`;
    const at = new Date(last.at);
    const verdict = last.ok ? '✓' : `✗ ${last.failed.join(', ')}`;
    return `${connection.id} ${verdict} ${shortTime(at)} (${ago(at, now)})`;
  });
  return [`last checked: ${parts.join(' · ')}`];
}
