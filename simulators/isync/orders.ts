/** iSync's orders: validation as iSync does it (lines by SKU or by barcode), and order numbering. */
import type { KeyedCatalog } from '../lib/keyed-catalog';
import type { ISyncOrder, ISyncOrderLine, ISyncProduct } from './types';

export type CreateResult = { order: ISyncOrder } | { error: string };

export class ISyncOrders {
  private readonly orders: ISyncOrder[] = [];
  private readonly byPONumber = new Map<string, ISyncOrder>();
  private barcodes = new Map<string, string>();
  private barcodesVersion = -1;

  constructor(private readonly catalog: KeyedCatalog<ISyncProduct>) {}

  all(): ISyncOrder[] {
    return [...this.orders];
  }

  find(poNumber: string): ISyncOrder | undefined {
    return this.byPONumber.get(poNumber);
  }

  create(order: unknown): CreateResult {
    if (!isObject(order)) return { error: 'Order is required' };
    const poNumber = order.PONumber;
    if (typeof poNumber !== 'string' || poNumber.trim() === '') return { error: 'PONumber is required' };
    if (this.byPONumber.has(poNumber)) return { error: `PONumber ${poNumber} already exists` };
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
      OrderID: `SO-${String(this.orders.length + 1).padStart(6, '0')}`,
      OrderDate: new Date().toISOString(),
    };
    this.orders.push(created);
    this.byPONumber.set(poNumber, created);
    return { order: created };
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
