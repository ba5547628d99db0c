/** Shared test fixtures for the domain unit tests. */
import { ConnectionSchema, type Connection, type ConnectionInput, type ProductMappingContext } from '../../domain';

export const SOURCE_ID = 57;
export const mappingContext: ProductMappingContext = { sourceId: SOURCE_ID, syncToken: 'sync-1', fetchToken: 'fetch-1' };

export function omniConnection(settings: Record<string, unknown> = {}, extra: Partial<ConnectionInput> = {}): Connection {
  return ConnectionSchema.parse({
    id: 'acme-omni',
    sourceKind: 'omni',
    name: 'Acme (Omni Accounts)',
    endpoint: 'http://127.0.0.1:8080',
    credentialsRef: {
      databaseName: 'ACME_OMNI_DATABASE',
      companyName: 'ACME_OMNI_COMPANY',
      databaseUser: 'ACME_OMNI_DB_USER',
      databasePassword: 'ACME_OMNI_DB_PASSWORD',
      omniUser: 'ACME_OMNI_USER',
      omniPassword: 'ACME_OMNI_PASSWORD',
    },
    stock2shop: { sourceId: SOURCE_ID, credentialsRef: { token: 'S2S_TOKEN' } },
    settings: {
      param_warehouse_code: 'WH-7',
      param_default_tax_code: '1',
      param_default_tax_code_exempt: '3',
      param_default_tax_code_shipping: '2',
      ...settings,
    },
    ...extra,
  });
}

export function isyncConnection(settings: Record<string, unknown> = {}, extra: Partial<ConnectionInput> = {}): Connection {
  return ConnectionSchema.parse({
    id: 'acme-isync',
    sourceKind: 'isync',
    name: 'Acme (iSync)',
    endpoint: 'https://isync.example.com/UAT2EAI/MessageService.svc',
    credentialsRef: { username: 'ACME_ISYNC_USERNAME', password: 'ACME_ISYNC_PASSWORD' },
    stock2shop: { sourceId: SOURCE_ID, credentialsRef: { token: 'S2S_TOKEN' } },
    settings,
    ...extra,
  });
}

/** A Stock2Shop order with distinct values in every mapped field. */
export function sampleOrder(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channel_order_code: 'WEB-1001',
    notes: 'Leave at the gate',
    ordered_date: '2024-05-01 10:00:00',
    instruction: 'add_order',
    customer: { email: 'jane@example.com', first_name: 'Jane', last_name: 'Doe', channel_customer_code: 'SHOPIFY-CUST-9' },
    billing_address: { first_name: 'Bill', last_name: 'Payer', address1: '1 Billing Rd', city: 'Durban', country: 'South Africa', zip: '4001' },
    shipping_address: {
      first_name: 'Jane',
      last_name: 'Doe',
      company: 'Doe Trading',
      address1: '12 Long Street',
      address2: 'Unit 4',
      city: 'Cape Town',
      province: 'Western Cape',
      province_code: 'WC',
      country: 'South Africa',
      country_code: 'ZA',
      zip: '8001',
      phone: '+27 21 555 0100',
    },
    line_items: [
      {
        sku: 'TSHIRT-01-M',
        title: 'Cotton T-Shirt (M)',
        qty: 3,
        price: 173.04,
        barcode: '6001234000017',
        tax_lines: [{ code: 'VAT', rate: 15, price: 25.96, title: 'VAT' }],
      },
      {
        sku: 'MUG-02',
        title: 'Enamel Mug',
        qty: 2,
        price: 86.95,
        barcode: '6001234000024',
        tax_lines: [{ code: 'VAT', rate: 15, price: 13.04, title: 'VAT' }],
      },
    ],
    shipping_lines: [],
    sources: [{ source_id: SOURCE_ID, source_customer_code: 'CUST-ACC-42', source_order_code: null }],
    ...overrides,
  };
}
