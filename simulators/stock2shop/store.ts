/**
 * What Stock2Shop keeps, in memory and, given a data directory, on disk: received products appended to
 * `products-queue.jsonl`, orders with their write-backs in `orders.json`. A restart on the same directory
 * picks both up again.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeldOrder, ReceivedProduct, Stock2ShopOrder, WriteBack } from './types';

const PRODUCTS_FILE = 'products-queue.jsonl';
const ORDERS_FILE = 'orders.json';

export class Stock2ShopStore {
  private readonly received: ReceivedProduct[] = [];
  private readonly held = new Map<string, HeldOrder>();

  constructor(private readonly dataDir: string | null) {
    if (!dataDir) return;
    mkdirSync(dataDir, { recursive: true });
    this.received.push(...readJsonLines<ReceivedProduct>(join(dataDir, PRODUCTS_FILE)));
    const ordersFile = join(dataDir, ORDERS_FILE);
    if (existsSync(ordersFile)) {
      const saved = JSON.parse(readFileSync(ordersFile, 'utf8')) as { orders: HeldOrder[] };
      for (const order of saved.orders) this.held.set(order.channel_order_code, order);
    }
  }

  receivedProducts(): ReceivedProduct[] {
    return [...this.received];
  }

  receivedCount(): number {
    return this.received.length;
  }

  appendReceived(items: ReceivedProduct[]): void {
    if (items.length === 0) return;
    if (this.dataDir) appendFileSync(join(this.dataDir, PRODUCTS_FILE), items.map((item) => `${JSON.stringify(item)}\n`).join(''));
    this.received.push(...items);
  }

  orders(): HeldOrder[] {
    return [...this.held.values()];
  }

  order(code: string): HeldOrder | undefined {
    return this.held.get(code);
  }

  /** Throws when an order with that code is already held. */
  addOrder(order: Stock2ShopOrder): HeldOrder {
    const code = order.channel_order_code;
    const existing = this.held.get(code);
    if (existing?.order) throw new Error(`Order ${code} already exists`);
    const held: HeldOrder = {
      channel_order_code: code,
      received_at: new Date().toISOString(),
      order,
      source_order_code: existing?.source_order_code ?? null,
      failure_reason: existing?.failure_reason ?? null,
      write_backs: existing?.write_backs ?? [],
    };
    this.save(held);
    return held;
  }

  /**
   * Replaces the content of a held order (same code), as when an order is edited on Stock2Shop and sent
   * again: the failure is cleared, so it waits for its source once more unless it was already raised;
   * write-backs are kept, and a source order code already written back stays on its `sources` entry.
   * Throws when no order with that code is held.
   */
  replaceOrder(order: Stock2ShopOrder): HeldOrder {
    const code = order.channel_order_code;
    const existing = this.held.get(code);
    if (!existing?.order) throw new Error(`Order ${code} not found`);
    const previous = existing.order.sources ?? [];
    const sources = order.sources?.map((source) => {
      if (source.source_order_code !== undefined) return source;
      const before = previous.find((old) => String(old.source_id) === String(source.source_id));
      return before?.source_order_code !== undefined ? { ...source, source_order_code: before.source_order_code } : source;
    });
    const updated: HeldOrder = {
      ...existing,
      order: sources ? { ...order, sources } : order,
      replaced_at: new Date().toISOString(),
      failure_reason: null,
    };
    this.save(updated);
    return updated;
  }

  /** Records a write-back, also for an order never given to this simulator (kept against its code). */
  writeBack(code: string, writeBack: WriteBack): HeldOrder {
    const current: HeldOrder = this.held.get(code) ?? {
      channel_order_code: code,
      received_at: null,
      order: null,
      source_order_code: null,
      failure_reason: null,
      write_backs: [],
    };
    const raised = writeBack.kind === 'source_order_code';
    const cancelled = writeBack.kind === 'cancelled';
    const field = raised ? 'source_order_code' : 'cancelled_reason';
    const updated: HeldOrder = {
      ...current,
      order: (raised || cancelled) && current.order ? withSourceField(current.order, writeBack, field) : current.order,
      source_order_code: raised ? writeBack.value : current.source_order_code,
      failure_reason: raised || cancelled ? null : writeBack.value,
      ...(cancelled ? { cancelled_reason: writeBack.value } : {}),
      write_backs: [...current.write_backs, writeBack],
    };
    this.save(updated);
    return updated;
  }

  private save(order: HeldOrder): void {
    this.held.set(order.channel_order_code, order);
    if (!this.dataDir) return;
    const file = join(this.dataDir, ORDERS_FILE);
    // Written aside then renamed, so a crash mid-write never leaves a torn orders file.
    writeFileSync(`${file}.tmp`, JSON.stringify({ orders: this.orders() }, null, 2));
    renameSync(`${file}.tmp`, file);
  }
}

/** The order as Stock2Shop shows it after the write-back: the code (or the cancel) beside the matching source. */
function withSourceField(order: Stock2ShopOrder, writeBack: WriteBack, field: 'source_order_code' | 'cancelled_reason'): Stock2ShopOrder {
  const sources = order.sources ?? [];
  const matches = (source: { source_id: number | string }) => String(source.source_id) === String(writeBack.source_id);
  const updated = sources.some(matches)
    ? sources.map((source) => (matches(source) ? { ...source, [field]: writeBack.value } : source))
    : [...sources, { source_id: writeBack.source_id, [field]: writeBack.value }];
  return { ...order, sources: updated };
}

/** Reads a JSON-lines file, skipping a torn last line left by a crash mid-append. */
function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const records: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      // a partial line: the append it belonged to never completed
    }
  }
  return records;
}
