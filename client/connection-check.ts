/**
 * `connections check <connectionId>`: live checks of one connection, each a line with ✓ (passed),
 * ✗ (failed, and what to do) or – (not made from here, and why). The source's checks run from this
 * machine when it reaches the source; an Omni source that answers only its agent is asked through
 * the agent's probe instead (a confined agent's, in its client's namespace), and the report says so.
 */
import type { Client } from '@temporalio/client';
import { SYSTEM_LABEL } from '../connectors';
import type { Connection } from '../domain';
import type { LastCheck } from '../store/connection-checks';
import { checkAgent, probeThroughAgent } from './connection-check-agent';
import type { CheckLine, CheckStatus } from './connection-check-lines';
import { checkSource } from './connection-check-source';
import { checkStock2Shop, checkWebhookSecret, type Stock2ShopCheckOptions } from './connection-check-stock2shop';

export interface ConnectionCheckReport {
  connectionId: string;
  at: string;
  ok: boolean;
  /** Where the source's checks ran: from this machine, through its agent, or not at all. */
  sourceCheckedFrom: 'this machine' | 'its agent' | 'nowhere';
  checks: CheckLine[];
}

export interface ConnectionCheckOptions extends Omit<Stock2ShopCheckOptions, 'timeoutMs'> {
  client: Client;
  /** Each call's budget (default 10 s). */
  timeoutMs?: number;
}

export async function checkConnection(connection: Connection, options: ConnectionCheckOptions): Promise<ConnectionCheckReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const at = new Date().toISOString();
  const source = await checkSource(connection, {
    env: options.env,
    timeoutMs,
    throughAgent: (reason) => probeThroughAgent(options.client, connection, reason),
  });
  const [stock2shop, agent] = await Promise.all([checkStock2Shop(connection, { ...options, timeoutMs }), checkAgent(options.client, connection)]);
  const checks = [...source.checks, stock2shop, checkWebhookSecret(connection, options.env), agent];
  return { connectionId: connection.id, at, ok: checks.every((c) => c.status !== 'fail'), sourceCheckedFrom: source.from, checks };
}

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', skipped: '–' };

/** The report as a person reads it: a heading, then one line a check. */
export function renderCheckReport(connection: Connection, report: ConnectionCheckReport): string[] {
  const where =
    report.sourceCheckedFrom === 'this machine'
      ? 'source checked from this machine'
      : report.sourceCheckedFrom === 'its agent'
        ? 'source checked through its agent (this machine does not reach it)'
        : 'source not checked';
  const width = Math.max(...report.checks.map((c) => c.name.length));
  return [
    `${connection.id}: ${SYSTEM_LABEL[connection.sourceKind]} at ${connection.endpoint}; ${where}`,
    ...report.checks.map((c) => `${MARK[c.status]} ${c.name.padEnd(width)}  ${c.detail}${c.todo ? `: ${c.todo}` : ''}`),
  ];
}

/** The verdict kept for `cli status`: the names only, never a check's words. */
export function lastCheckOf(report: ConnectionCheckReport): LastCheck {
  return {
    connectionId: report.connectionId,
    at: report.at,
    ok: report.ok,
    passed: report.checks.filter((c) => c.status === 'pass').length,
    failed: report.checks.filter((c) => c.status === 'fail').map((c) => c.name),
    skipped: report.checks.filter((c) => c.status === 'skipped').map((c) => c.name),
  };
}
