/** iSync's orders: validation as iSync does it (lines by SKU or by barcode), order numbering, and (with a data directory) keeping them. */
import { DocumentFile } from '../lib/document-file';
import type { KeyedCatalog } from '../lib/keyed-catalog';
import type { ISyncOrder, ISyncOrderLine, ISyncProduct } from './types';

export type CreateResult = { order: ISyncOrder } | { error: string };

/** When a create happens: `visibleAt` (ms since the epoch) is when it commits; default at once. */
export interface CreateTiming {
  visibleAt?: number;
}

interface Stored {
  order: ISyncOrder;
  /** Until then (ms since the epoch) the order is still committing: not found, no duplicate. */
  visibleAt: number;
}

export class ISyncOrders {
  private readonly stored: Stored[] = [];
  private readonly byPONumber = new Map<string, Stored[]>();
  private barcodes = new Map<string, string>();
  private barcodesVersion = -1;
  private readonly file: DocumentFile<ISyncOrder>;

  /** With `dataDir`, the orders are kept in `<dataDir>/orders.json` and read back at start (numbering continues). */
  constructor(
    private readonly catalog: KeyedCatalog<ISyncProduct>,
    dataDir?: string | null,
  ) {
    this.file = new DocumentFile(dataDir, 'orders.json');
    for (const { document, visibleAt } of this.file.read().documents) this.keep({ order: document, visibleAt });
  }

  /** Where the orders are kept, or null (memory only). */
  get dataFile(): string | null {
    return this.file.path;
  }

  /** Every order, committed or not, in the order created. */
  all(): ISyncOrder[] {
    return this.stored.map((entry) => entry.order);
  }

  /** The orders committed by `now`, in the order created. */
  visible(now = Date.now()): ISyncOrder[] {
    return committed(this.stored, now);
  }

  /** The committed orders with this PONumber (more than one only if a commit delay let a duplicate in). */
  find(poNumber: string, now = Date.now()): ISyncOrder[] {
    return committed(this.byPONumber.get(poNumber) ?? [], now);
  }

  create(order: unknown, timing: CreateTiming = {}): CreateResult {
    const now = Date.now();
    if (!isObject(order)) return { error: 'Order is required' };
    const poNumber = order.PONumber;
    if (typeof poNumber !== 'string' || poNumber.trim() === '') return { error: 'PONumber is required' };
    if (this.find(poNumber, now).length > 0) return { error: `PONumber ${poNumber} already exists` };
    if (order.DeliveryDetail !== undefined && !isObject(order.DeliveryDetail)) return { error: 'DeliveryDetail must be an object' };
    const lines = order.Lines;
    if (!Array.isArray(lines) || lines.length === 0) return { error: 'Order has no lines' };
    for (const [index, line] of lines.entries()) {
      const problem = this.lineProblem(line, index + 1);
      if (problem) return { error: problem };
    }
    const created: ISyncOrder = {
      ...order,
      PONumber: poNumber,
      Lines: lines as ISyncOrderLine[],
      OrderID: `SO-${String(this.stored.length + 1).padStart(6, '0')}`,
      OrderDate: new Date().toISOString(),
    };
    this.keep({ order: created, visibleAt: timing.visibleAt ?? now });
    this.file.write({ documents: this.stored.map(({ order: document, visibleAt }) => ({ document, visibleAt })) });
    return { order: created };
  }

  private keep(entry: Stored): void {
    this.stored.push(entry);
    let same = this.byPONumber.get(entry.order.PONumber);
    if (!same) this.byPONumber.set(entry.order.PONumber, (same = []));
    same.push(entry);
  }

  private lineProblem(line: unknown, number: number): string | undefined {
    if (!isObject(line)) return `Line ${number} must be an object`;
    const { ProductStockID: sku, ThirdPartyBarcode: barcode } = line;
    if (typeof sku === 'string' && sku !== '') {
      if (!this.catalog.get(sku)) return `Product stock item ${sku} not found`;
    } else if (typeof barcode === 'string' && barcode !== '') {
      if (!this.skuOfBarcode(barcode)) return `Product stock item ${barcode} not found`;
    } else {
      return `Line ${number}: ProductStockID or ThirdPartyBarcode is required`;
    }
    if (typeof line.Units !== 'number' || !(line.Units > 0)) return `Line ${number}: Units must be a number greater than 0`;
    if (typeof line.SellingPrice !== 'number' || !(line.SellingPrice >= 0)) return `Line ${number}: SellingPrice must be a number of 0 or more`;
    return undefined;
  }

  private skuOfBarcode(barcode: string): string | undefined {
    if (this.barcodesVersion !== this.catalog.version) {
      this.barcodes = new Map();
      for (const product of this.catalog.all()) if (product.Barcode) this.barcodes.set(product.Barcode, product.SKU);
      this.barcodesVersion = this.catalog.version;
    }
    return this.barcodes.get(barcode);
  }
}

function committed(entries: readonly Stored[], now: number): ISyncOrder[] {
  return entries.filter((entry) => entry.visibleAt <= now).map((entry) => entry.order);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
