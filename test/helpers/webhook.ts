/**
 * Calls the order webhook as Stock2Shop does (or as an attacker might): written from the caller's
 * side with node:crypto, sharing no code with the intake's verification.
 */
import { createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { startIntakeServer, type IntakeOptions, type IntakeServer } from '../../client/intake';

export { orderWebhookUrl } from '../../client/intake';
import { WEBHOOK_SECRETS, type Stack } from './stack';

export interface WebhookCall {
  body: string | Buffer;
  /** Signs with this secret; none sends the call unsigned. */
  secret?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Replaces the computed signature. */
  signature?: string;
}

export function stock2shopSignature(secret: string, timestamp: number, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export async function callWebhook(url: string, call: WebhookCall): Promise<{ status: number; body: unknown }> {
  const timestamp = call.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (call.secret !== undefined || call.signature !== undefined) {
    headers['x-stock2shop-timestamp'] = String(timestamp);
    headers['x-stock2shop-signature'] = call.signature ?? stock2shopSignature(call.secret!, timestamp, call.body);
  }
  const response = await fetch(url, { method: 'POST', headers, body: call.body });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

/** The notification Stock2Shop sends for an order of a source. */
export function orderNotification(sourceId: number, order: { channel_order_code: string } & Record<string, unknown>): string {
  return JSON.stringify({ instruction: 'add_order', source_id: sourceId, channel_order_code: order.channel_order_code, order });
}

/** The engine's intake for a test stack, each connection's webhook secret as Stock2Shop has it. */
export function startSignedIntake(client: Client, stack: Pick<Stack, 'connections'>, options: Partial<IntakeOptions> = {}): Promise<IntakeServer> {
  return startIntakeServer({
    client,
    connections: () => stack.connections,
    webhookSecretOf: (connection) => WEBHOOK_SECRETS[connection.id as keyof typeof WEBHOOK_SECRETS],
    log: () => undefined,
    ...options,
  });
}
