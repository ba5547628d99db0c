/**
 * An order is refused only for what its source cannot take (issue 24 item 6): a length or character
 * rule applies to a field that source receives; whitespace inside an address line is collapsed, not
 * refused; the engine-wide bounds stay generous.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareOrderFor } from '../../activities/prepare-order';
import type { Stock2ShopClient } from '../../connectors';
import type { ISyncOrder, OmniSalesDocument } from '../../domain';
import { SOURCE_ID, isyncConnection, omniConnection } from './fixtures';

const LONG_LINE = `${'12 Long Street, '.repeat(125)}`.slice(0, 2000);

/** The order of the issue: a 2,000-character billing address line, 200 lines, unicode names. */
function bigOrder(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const names = { first_name: 'Zoë', last_name: 'Nkosi-Ñandú 王小明' };
  return {
    channel_order_code: 'WEB-2000',
    customer: { ...names, email: 'zoe@example.co.za' },
    billing_address: { ...names, company: 'Café Ünïcödé (Pty) Ltd 😀', address1: LONG_LINE, city: 'Kraaifontein', country_code: 'ZA' },
    shipping_address: { ...names, address1: '12 Loop Street\r\nUnit 4\tBlock B', city: 'Cape Town', zip: '8001', country: 'South Africa' },
    line_items: Array.from({ length: 200 }, (_, i) => ({
      sku: `SKU-${i}`,
      title: `Ürün ${i} — 珈琲`,
      qty: 1,
      price: 10,
      tax_lines: [{ rate: 15, price: 1.5 }],
    })),
    sources: [{ source_id: SOURCE_ID, source_customer_code: 'CUST-9' }],
    ...overrides,
  };
}

function stock2shopHolding(order: Record<string, unknown>): Stock2ShopClient {
  return { getOrder: async () => order } as unknown as Stock2ShopClient;
}

async function prepare(connection: ReturnType<typeof omniConnection>, order: Record<string, unknown>) {
  return prepareOrderFor(connection, { connectionId: connection.id, channelOrderCode: order.channel_order_code as string }, stock2shopHolding(order));
}

describe('Omni receives no address: an order is never refused for one', () => {
  test('a 2,000-character billing address line, 200 lines and unicode names are raised, not left for a person', async () => {
    const prepared = await prepare(omniConnection(), bigOrder());
    assert.equal(prepared.outcome, 'ready', (prepared as { reason?: string }).reason);
    const document = (prepared as { document: OmniSalesDocument }).document;
    assert.equal(document.order_lines.length, 200);
    assert.equal(document.order_lines[7]?.description, 'Ürün 7 — 珈琲');
    assert.ok(!JSON.stringify(document).includes('Long Street'), 'no address reaches Omni');
  });

  test('control characters in fields Omni does not take (names, notes, address) are not refused', async () => {
    const order = bigOrder({
      notes: 'Ring\u0007 twice',
      customer: { first_name: 'Zoë\u001b[2J', email: `${'z'.repeat(300)}@example.co.za` },
      shipping_address: { address1: '12 Loop Street\u0000', phone: '+27 21\r\n555 0101' },
    });
    assert.equal((await prepare(omniConnection(), order)).outcome, 'ready');
  });

  test('what Omni does take is still held to its limits: a description of 501 characters', async () => {
    const order = bigOrder({ line_items: [{ sku: 'A', title: 'T'.repeat(501), qty: 1, price: 1 }] });
    const prepared = await prepare(omniConnection(), order);
    assert.equal(prepared.outcome, 'invalid');
    assert.match(
      (prepared as { reason: string }).reason,
      /^Order WEB-2000: line_items\[0\]\.title: must be at most 500 characters \(Omni order_lines\.description\)/,
    );
  });
});

describe('iSync receives the shipping address: whitespace is collapsed, limits apply to it alone', () => {
  test('a newline and a tab inside an address line become single spaces', async () => {
    const prepared = await prepare(isyncConnection(), bigOrder());
    assert.equal(prepared.outcome, 'ready', (prepared as { reason?: string }).reason);
    const document = (prepared as { document: ISyncOrder }).document;
    assert.equal(document.DeliveryDetail.Address1, '12 Loop Street Unit 4 Block B');
    assert.equal(document.DeliveryDetail.ContactName, 'Zoë Nkosi-Ñandú 王小明');
    assert.equal(document.Lines.length, 200);
  });

  test('the long billing line is not refused: iSync takes the shipping address', async () => {
    assert.equal((await prepare(isyncConnection(), bigOrder())).outcome, 'ready');
  });

  test('a 2,000-character line of the address iSync receives is refused, naming the field and the limit', async () => {
    const prepared = await prepare(isyncConnection(), bigOrder({ shipping_address: { address1: LONG_LINE } }));
    assert.equal(prepared.outcome, 'invalid');
    assert.match(
      (prepared as { reason: string }).reason,
      /^Order WEB-2000: shipping_address\.address1: must be at most 255 characters \(iSync DeliveryDetail\.Address1\)/,
    );
  });

  test('with no shipping address, the billing address is what iSync receives, and its limit applies', async () => {
    const prepared = await prepare(isyncConnection(), bigOrder({ shipping_address: null }));
    assert.equal(prepared.outcome, 'invalid');
    assert.match((prepared as { reason: string }).reason, /^Order WEB-2000: billing_address\.address1: must be at most 255 characters/);
  });

  test('a character XML cannot carry, in the address iSync receives, is refused', async () => {
    const prepared = await prepare(isyncConnection(), bigOrder({ shipping_address: { address1: '12 Loop Street\u0000' } }));
    assert.equal(prepared.outcome, 'invalid');
    assert.match((prepared as { reason: string }).reason, /^Order WEB-2000: shipping_address\.address1: must not contain U\+0000/);
  });
});

describe('the engine-wide bounds stay, generous', () => {
  test('a text of more than 10,000 characters is refused whoever the source (memory, not a business rule)', async () => {
    const prepared = await prepare(omniConnection(), bigOrder({ notes: 'n'.repeat(10_001) }));
    assert.equal(prepared.outcome, 'invalid');
    assert.equal((prepared as { reason: string }).reason, 'Order WEB-2000: notes: must be at most 10000 characters');
  });
});
