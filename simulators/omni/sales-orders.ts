/** Omni's sales order documents: validation as Omni does it, document numbering, and (with a data directory) keeping them. */
import { DocumentFile } from '../lib/document-file';
import type { KeyedCatalog } from '../lib/keyed-catalog';
import type { OmniOrderLine, OmniSalesOrder, OmniStockItem } from './types';

export type CreateResult = { document: OmniSalesOrder } | { status: 400 | 409 | 422; error: string };

/** When a create happens: `visibleAt` (ms since the epoch) is when it commits; default at once. */
export interface CreateTiming {
  visibleAt?: number;
}

interface Stored {
  document: OmniSalesOrder;
  /** Until then (ms since the epoch) the document is still committing: not found, not listed, no duplicate. */
  visibleAt: number;
}

export class OmniSalesOrders {
  private readonly stored: Stored[] = [];
  private readonly byReference = new Map<string, Stored[]>();
  private readonly byNumber = new Map<string, Stored[]>();
  private nextNumber = 1;
  private readonly file: DocumentFile<OmniSalesOrder>;

  /** With `dataDir`, the documents are kept in `<dataDir>/sales-orders.json` and read back at start (numbering continues). */
  constructor(
    private readonly catalog: KeyedCatalog<OmniStockItem>,
    private readonly customers: ReadonlySet<string>,
    private readonly warehouses: readonly string[],
    dataDir?: string | null,
  ) {
    this.file = new DocumentFile(dataDir, 'sales-orders.json');
    const kept = this.file.read();
    for (const { document, visibleAt } of kept.documents) this.keep({ document, visibleAt });
    this.nextNumber = kept.nextNumber ?? 1;
  }

  /** Where the documents are kept, or null (memory only). */
  get dataFile(): string | null {
    return this.file.path;
  }

  /** Every document, committed or not, in the order created. */
  all(): OmniSalesOrder[] {
    return this.stored.map((entry) => entry.document);
  }

  /** The documents committed by `now`, in the order created. */
  visible(now = Date.now()): OmniSalesOrder[] {
    return committed(this.stored, now);
  }

  /** The committed documents with this reference (more than one only if a commit delay let a duplicate in). */
  byReferenceOf(reference: string, now = Date.now()): OmniSalesOrder[] {
    return committed(this.byReference.get(reference) ?? [], now);
  }

  create(body: unknown, timing: CreateTiming = {}): CreateResult {
    const now = Date.now();
    if (!isObject(body)) return { status: 400, error: 'The sales order must be a JSON object' };
    const reference = body.reference;
    if (typeof reference !== 'string' || reference.trim() === '') return { status: 422, error: 'Reference is required' };
    if (this.byReferenceOf(reference, now).length > 0) return { status: 409, error: `Document reference ${reference} already exists` };

    const requestedNumber = body.document_number;
    if (requestedNumber !== undefined && requestedNumber !== null) {
      if (typeof requestedNumber !== 'string' || requestedNumber.trim() === '') return { status: 422, error: 'Document number must be text' };
      if (committed(this.byNumber.get(requestedNumber) ?? [], now).length > 0) {
        return { status: 409, error: `Document number ${requestedNumber} already exists` };
      }
    }

    const customer = body.customer_account_code;
    if (typeof customer !== 'string' || customer.trim() === '') return { status: 422, error: 'Customer account code is required' };
    if (!this.customers.has(customer)) return { status: 422, error: `Customer account ${customer} not found` };

    const warehouse = body.warehouse_code ?? this.warehouses[0];
    if ((typeof warehouse !== 'string' && typeof warehouse !== 'number') || !this.warehouses.includes(String(warehouse))) {
      return { status: 422, error: `Warehouse ${String(warehouse)} not found` };
    }

    const lines = body.order_lines;
    if (!Array.isArray(lines) || lines.length === 0) return { status: 422, error: 'Sales order has no lines' };
    for (const [index, line] of lines.entries()) {
      const problem = this.lineProblem(line, index + 1);
      if (problem) return { status: 422, error: problem };
    }

    const document: OmniSalesOrder = {
      ...body,
      reference,
      customer_account_code: customer,
      warehouse_code: String(warehouse),
      order_lines: lines as OmniOrderLine[],
      document_number: typeof requestedNumber === 'string' ? requestedNumber : this.assignNumber(),
      document_date: new Date().toISOString(),
    };
    this.keep({ document, visibleAt: timing.visibleAt ?? now });
    this.file.write({ nextNumber: this.nextNumber, documents: this.stored });
    return { document };
  }

  private keep(entry: Stored): void {
    this.stored.push(entry);
    indexed(this.byReference, entry.document.reference).push(entry);
    indexed(this.byNumber, entry.document.document_number).push(entry);
  }

  private lineProblem(line: unknown, number: number): string | undefined {
    if (!isObject(line)) return `Line ${number} must be an object`;
    const code = line.stock_code;
    if (typeof code !== 'string' || code.trim() === '') return `Line ${number}: stock_code is required`;
    if (!this.catalog.get(code)) return `Stock code ${code} not found`;
    if (typeof line.quantity !== 'number' || !(line.quantity > 0)) return `Line ${number}: quantity must be a number greater than 0`;
    if (typeof line.selling_price !== 'number' || !(line.selling_price >= 0)) return `Line ${number}: selling_price must be a number of 0 or more`;
    return undefined;
  }

  private assignNumber(): string {
    for (;;) {
      const number = `SO${String(this.nextNumber++).padStart(6, '0')}`;
      // Numbers of documents still committing are taken too: a generated number never repeats.
      if (!this.byNumber.has(number)) return number;
    }
  }
}

function committed(entries: readonly Stored[], now: number): OmniSalesOrder[] {
  return entries.filter((entry) => entry.visibleAt <= now).map((entry) => entry.document);
}

function indexed<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
