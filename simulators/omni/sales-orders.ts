/** Omni's sales order documents: validation as Omni does it, and document numbering. */
import type { KeyedCatalog } from '../lib/keyed-catalog';
import type { OmniOrderLine, OmniSalesOrder, OmniStockItem } from './types';

export type CreateResult = { document: OmniSalesOrder } | { status: 400 | 409 | 422; error: string };

export class OmniSalesOrders {
  private readonly documents: OmniSalesOrder[] = [];
  private readonly byReference = new Map<string, OmniSalesOrder>();
  private readonly numbers = new Set<string>();
  private nextNumber = 1;

  constructor(
    private readonly catalog: KeyedCatalog<OmniStockItem>,
    private readonly customers: ReadonlySet<string>,
    private readonly warehouses: readonly string[],
  ) {}

  all(): OmniSalesOrder[] {
    return [...this.documents];
  }

  byReferenceOf(reference: string): OmniSalesOrder | undefined {
    return this.byReference.get(reference);
  }

  create(body: unknown): CreateResult {
    if (!isObject(body)) return { status: 400, error: 'The sales order must be a JSON object' };
    const reference = body.reference;
    if (typeof reference !== 'string' || reference.trim() === '') return { status: 422, error: 'Reference is required' };
    if (this.byReference.has(reference)) return { status: 409, error: `Document reference ${reference} already exists` };

    const requestedNumber = body.document_number;
    if (requestedNumber !== undefined && requestedNumber !== null) {
      if (typeof requestedNumber !== 'string' || requestedNumber.trim() === '') return { status: 422, error: 'Document number must be text' };
      if (this.numbers.has(requestedNumber)) return { status: 409, error: `Document number ${requestedNumber} already exists` };
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
    this.documents.push(document);
    this.byReference.set(reference, document);
    this.numbers.add(document.document_number);
    return { document };
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
      if (!this.numbers.has(number)) return number;
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
