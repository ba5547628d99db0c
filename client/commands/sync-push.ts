/**
 * `sync push <connectionId> <sku…>`: these products to Stock2Shop now, whatever their stored hash, in
 * a one-off pass (`pushProducts`, workflows/pushProducts.ts) that takes the connection's pass claim:
 * while another pass runs, it pushes nothing and says which (or, with `--wait`, waits for it to end).
 */
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, escapeUnsafeCharacters, type Connection } from '../../domain';
import { SYSTEM_LABEL } from '../../connectors';
import { ConnectionIdKey, SourceKindKey } from '../../contracts/search-attributes';
import type { SelectedProduct } from '../../contracts/activities';
import type { PushProductsInput, PushProductsResult } from '../../contracts/workflows';
import { connectionPriority } from '../../temporal/priority';
import { findConnection, UsageError, type CliContext } from '../cli-context';

export const PRODUCT_PUSH_WORKFLOW_PREFIX = 'product-push/';
/** `product-push/<connectionId>`: one push of a connection at a time. */
export const productPushWorkflowId = (connectionId: string) => `${PRODUCT_PUSH_WORKFLOW_PREFIX}${connectionId}`;

/** The most SKUs one push takes (each activity carries the list): more is a full pass, `sync run --full`. */
export const MAX_PUSH_CODES = 500;

const shown = escapeUnsafeCharacters;

export function registerSyncPush(sync: Command, context: CliContext): void {
  sync
    .command('push <connectionId> <sku...>')
    .description(
      'push these products to Stock2Shop now, whatever was pushed before, in a one-off pass that never overlaps another: while a pass ' +
        'of the connection runs, nothing is pushed (exit 1) and the line says which, unless --wait. The sources have no lookup by code, ' +
        'so the push reads the catalog until it has found every SKU; it says what it pushed and which SKUs the source does not have',
    )
    .option('--wait', 'while another pass of the connection runs, wait for it to end, then push')
    .option('--json', 'print the result as JSON, for scripts')
    .action(async (connectionId: string, skus: string[], options: { wait?: boolean; json?: boolean }) => {
      const connection = findConnection(context, connectionId);
      const codes = pushCodes(skus);
      const client = await context.client();
      const workflowId = productPushWorkflowId(connection.id);
      const input: PushProductsInput = { connectionId: connection.id, codes, waitForPass: options.wait ?? false };
      const handle = await client.workflow
        .start('pushProducts', {
          taskQueue: CENTRAL_TASK_QUEUE,
          workflowId,
          args: [input],
          priority: connectionPriority(connection.id),
          typedSearchAttributes: [
            { key: ConnectionIdKey, value: connection.id },
            { key: SourceKindKey, value: connection.sourceKind },
          ],
        })
        .catch((error: Error) => {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          throw new Error(`A push of ${connection.id} is running already (${workflowId}); \`sync history ${connection.id}\` shows it`);
        });
      if (options.wait && !options.json) context.out(`${workflowId}: started; if a pass of ${connection.id} is running, it waits for it to end`);
      const result = (await handle.result().catch((error: unknown) => {
        throw error instanceof WorkflowFailedError && error.cause ? new Error(error.cause.message) : error;
      })) as PushProductsResult;
      if (options.json) context.out(JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, ...result }, null, 2));
      else for (const line of renderPush(result, connection, workflowId)) context.out(line);
      const notPushed = notPushedLine(result, codes.length);
      if (notPushed) throw new Error(notPushed);
    });
}

/** The SKUs as typed, trimmed and each once; a usage error for an empty one or too many. */
export function pushCodes(skus: string[]): string[] {
  const codes = [...new Set(skus.map((sku) => sku.trim()))];
  if (codes.some((code) => code === '')) throw new UsageError('A SKU may not be empty');
  if (codes.length > MAX_PUSH_CODES)
    throw new UsageError(`At most ${MAX_PUSH_CODES} SKUs a push (got ${codes.length}); \`sync run --full\` pushes every product`);
  return codes;
}

const OUTCOME_WORDS = {
  pushed: 'pushed',
  sent_as_deleted: 'sent as deleted (marked DELETE in the source)',
  ignored: 'not pushed: marked IGNORE in the source',
  invalid: 'not pushed: invalid',
} as const;

/** A first line (what was pushed, how much of the catalog it read), then one line per SKU. */
export function renderPush(result: PushProductsResult, connection: Pick<Connection, 'id' | 'sourceKind'>, workflowId: string): string[] {
  if (result.outcome === 'refused') return [];
  const pushed = result.found.filter((f) => f.outcome === 'pushed' || f.outcome === 'sent_as_deleted').length;
  const asked = result.found.length + result.notInSource.length;
  const source = SYSTEM_LABEL[connection.sourceKind];
  const waited = result.runningPass ? `; waited ${Math.round(result.waitedMs / 1000)} s for pass ${result.runningPass} to end` : '';
  const pages = `${result.pages} page${result.pages === 1 ? '' : 's'}`;
  const read = `read ${result.listed.toLocaleString('en-US')} records in ${pages} to find them (${source} has no lookup by code: the push reads the catalog until it has found every SKU)`;
  const lines = [`${workflowId}: ${pushed} of ${asked} pushed to Stock2Shop; ${read}${waited}`];
  const rows: [string, string][] = [
    ...result.found.map((f): [string, string] => [f.code, f.outcome === 'invalid' ? invalidWords(result, f.code) : OUTCOME_WORDS[f.outcome]]),
    ...result.notInSource.map((code): [string, string] => [code, `not in ${source}`]),
  ];
  const width = Math.max(...rows.map(([code]) => shown(code).length));
  for (const [code, words] of rows) lines.push(`  ${shown(code).padEnd(width)}  ${shown(words)}`);
  return lines;
}

/** What a push did, in a few words: `2 of 3 pushed; not in the source: FAN-99`. */
export function pushOutcomeWords(result: PushProductsResult): string {
  const count = (outcome: SelectedProduct['outcome']) => result.found.filter((f) => f.outcome === outcome).length;
  const asked = result.found.length + result.notInSource.length;
  return [
    `${count('pushed') + count('sent_as_deleted')} of ${asked} pushed`,
    ...(count('ignored') ? [`${count('ignored')} marked IGNORE`] : []),
    ...(count('invalid') ? [`${count('invalid')} invalid`] : []),
    ...(result.notInSource.length ? [`not in the source: ${result.notInSource.map(shown).join(', ')}`] : []),
    ...(result.runningPass ? [`waited ${Math.round(result.waitedMs / 1000)} s for ${result.runningPass}`] : []),
  ].join('; ');
}

function invalidWords(result: PushProductsResult, code: string): string {
  const record = result.invalidRecords.find((r) => r.code === code);
  return record ? `not pushed: ${record.field}: ${record.reason}` : OUTCOME_WORDS.invalid;
}

/** The error line when not every SKU was pushed (exit 1); none when all were. */
function notPushedLine(result: PushProductsResult, asked: number): string | undefined {
  if (result.outcome === 'refused') {
    return (
      `Pass ${result.runningPass ?? '?'} of ${result.connectionId} is running: nothing pushed, so that two passes never overlap. ` +
      'Push again once it has ended, or with --wait to push right after it'
    );
  }
  const missing = [...result.found.filter((f) => f.outcome === 'ignored' || f.outcome === 'invalid').map((f) => f.code), ...result.notInSource];
  if (missing.length === 0) return undefined;
  return `${missing.length} of ${asked} SKU(s) not pushed: ${missing.map(shown).join(', ')}`;
}
