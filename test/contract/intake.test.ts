/**
 * The engine's intake against the notification of the order contract (its `webhooks.orderAdded`): the file's
 * example, signed as the file says, is accepted at the path the file names and delivered to its order's
 * workflow; what the intake answers is the file's 202. Temporal is a recorder here: the delivery is the point.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { startIntakeServer, type IntakeServer } from '../../client/intake';
import { parseConnection, raiseOrderWorkflowId } from '../../domain';
import { exampleOf, loadContract, responseMedia, type Contract, type ContractOperation } from './contract-file';

const SECRET = 'contract-webhook-secret-of-thirty-two-bytes-or-more';

interface Notification {
  instruction: string;
  source_id: number;
  channel_order_code: string;
}

describe('the intake against the notification of contracts/stock2shop-orders.openapi.yaml', () => {
  let contract: Contract;
  let webhook: ContractOperation & { 'x-engine-path'?: string };
  let intake: IntakeServer;
  let example: Notification;
  const delivered: { workflowId: string }[] = [];

  before(async () => {
    contract = await loadContract();
    webhook = contract.document.webhooks?.orderAdded?.post as typeof webhook;
    assert.ok(webhook, 'the contract has the webhook orderAdded');
    example = exampleOf(webhook.requestBody?.content['application/json']) as Notification;
    const client = {
      workflow: {
        signalWithStart: async (_type: string, options: { workflowId: string }) => {
          delivered.push({ workflowId: options.workflowId });
          return { workflowId: options.workflowId, signaledRunId: 'run' };
        },
      },
    } as unknown as Client;
    const connection = parseConnection({
      id: 'contract-omni',
      name: 'Contract (Omni)',
      sourceKind: 'omni',
      endpoint: 'http://127.0.0.1:1',
      credentialsRef: { databaseName: 'D', companyName: 'C', databaseUser: 'U', databasePassword: 'P', omniUser: 'O', omniPassword: 'Q' },
      stock2shop: { sourceId: example.source_id, credentialsRef: { token: 'CONTRACT_S2S_TOKEN', webhookSecret: 'CONTRACT_S2S_WEBHOOK_SECRET' } },
    });
    intake = await startIntakeServer({ client, connections: () => [connection], webhookSecretOf: () => SECRET, log: () => undefined });
  });
  after(async () => {
    await intake.close();
  });

  /** The headers the contract's signature scheme makes, checked against its header parameters. */
  function signedHeaders(body: string): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
    const headers: Record<string, string> = { 'X-Stock2Shop-Timestamp': timestamp, 'X-Stock2Shop-Signature': signature };
    for (const parameter of webhook.parameters ?? []) {
      assert.equal(parameter.in, 'header');
      const value = headers[parameter.name];
      assert.ok(value !== undefined, `the contract's header ${parameter.name} is sent`);
      assert.ok(contract.ajv.validate(parameter.schema!, value), `${parameter.name}: ${contract.ajv.errorsText()}`);
    }
    return headers;
  }

  test("the file's notification, signed as the file says, is accepted and delivered to its order", async () => {
    const media = webhook.requestBody?.content['application/json'];
    assert.ok(contract.ajv.validate(media!.schema!, example), `the example matches its own schema: ${contract.ajv.errorsText()}`);
    const body = JSON.stringify(example);
    const path = webhook['x-engine-path']!.replace('{source_id}', String(example.source_id));
    const response = await fetch(`${intake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...signedHeaders(body) }, body });
    const answer = (await response.json()) as unknown;
    assert.equal(response.status, 202, JSON.stringify(answer));
    const accepted = responseMedia(webhook, '202');
    assert.ok(contract.ajv.validate(accepted!.schema!, answer), `the answer matches the contract's 202: ${contract.ajv.errorsText()}`);
    const workflowId = raiseOrderWorkflowId('contract-omni', example.channel_order_code);
    assert.deepEqual(answer, { workflowId, outcome: 'delivered' });
    assert.deepEqual(delivered, [{ workflowId }]);
  });

  test('the same call signed for another source is refused', async () => {
    const body = JSON.stringify({ ...example, source_id: example.source_id + 1 });
    const path = webhook['x-engine-path']!.replace('{source_id}', String(example.source_id));
    const response = await fetch(`${intake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...signedHeaders(body) }, body });
    assert.equal(response.status, 401);
    assert.ok(webhook.responses?.['401'], 'the contract names the 401');
  });
});
