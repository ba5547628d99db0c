import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Stock2ShopOrder } from '../../domain/stock2shop';
import { parseStock2ShopOrder } from '../../domain/stock2shop';
import { activityStepNames } from './history-reading';

export interface LineSpec {
  sku: string;
  qty: number;
  price: number;
  taxed?: boolean;
}

/** A Stock2Shop order as a web store would send it, shipped to Cape Town. */
export function makeOrder(code: string, lines: LineSpec[], options: { shipping?: number; customerCode?: string } = {}): Stock2ShopOrder {
  const address = {
    first_name: 'Thandi',
    last_name: 'Nkosi',
    company: 'Nkosi Interiors',
    address1: '12 Loop Street',
    address2: 'Unit 4',
    city: 'Cape Town',
    province: 'Western Cape',
    province_code: 'WC',
    zip: '8001',
    country: 'South Africa',
    country_code: 'ZA',
    phone: '+27 21 555 0101',
  };
  return parseStock2ShopOrder({
    channel_order_code: code,
    instruction: 'add_order',
    ordered_date: '2026-11-23 09:15:00',
    notes: '',
    total_discount: 0,
    customer: { email: 'thandi@example.co.za', first_name: 'Thandi', last_name: 'Nkosi', channel_customer_code: 'C-77' },
    billing_address: address,
    shipping_address: address,
    line_items: lines.map((line) => ({
      sku: line.sku,
      title: `Item ${line.sku}`,
      qty: line.qty,
      price: line.price,
      tax_lines: line.taxed === false ? [] : [{ code: 'VAT', price: line.price * 0.15, rate: 15, title: 'VAT' }],
    })),
    shipping_lines: options.shipping ? [{ title: 'Courier', price: options.shipping, tax_lines: [] }] : [],
    sources: options.customerCode ? [{ source_id: 101, source_customer_code: options.customerCode }] : [],
  });
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` naming what it waited for. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not there yet (e.g. a workflow not started)
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/** Waits until the run has an activity task of `activityType` pending (and `accepted`), and returns it. */
export function untilActivityPending(
  handle: WorkflowHandle,
  activityType: string,
  what: string,
  accepted: (activity: PendingActivity) => boolean = () => true,
): Promise<PendingActivity> {
  return waitFor(async () => {
    const { raw } = await handle.describe();
    return raw.pendingActivities?.find((activity) => activity.activityType?.name === activityType && accepted(activity));
  }, what);
}

/** Waits until the run has called `activityType` as an activity task (a local activity's tries having ended). */
export async function untilCalledAsActivityTask(handle: WorkflowHandle, activityType: string, what: string): Promise<void> {
  await waitFor(async () => (activityStepNames(await handle.fetchHistory()).includes(activityType) ? true : undefined), what);
}
