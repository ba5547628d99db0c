import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  DomainValidationError,
  ISyncOrderSchema,
  ISyncProductSchema,
  Stock2ShopQueueItemSchema,
  mapISyncProduct,
  mapOrderToISyncOrder,
  type ProductMappingResult,
  type Stock2ShopQueueItem,
} from '../../domain';
import { SOURCE_ID, isyncConnection, mappingContext, sampleOrder } from './fixtures';

/** An iSync variant with a distinct value in every field (prices all differ). */
const product = {
  JobProductID: 'TSHIRT-01',
  SKU: 'TSHIRT-01-M',
  Barcode: '6001234000017',
  JobDescription: 'Cotton T-Shirt',
  Product: 'Apparel',
  Size: 'M',
  Colour: 'Black',
  AvailableUnits: 12,
  WebSale: 'Active',
  PriceLists: [
    { Warehouse: 'Master', PriceList: 'Wholesale', RetailSellingPrice: 198.0, SellingPrice: 149.0 },
    { Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: 199.0, SellingPrice: 189.0 },
    { Warehouse: 'Cape Town', PriceList: 'Retail', RetailSellingPrice: 209.0, SellingPrice: 207.0 },
  ],
};

function pushed(result: ProductMappingResult): Stock2ShopQueueItem {
  assert.equal(result.outcome, 'push', JSON.stringify(result));
  assert.ok(result.outcome === 'push');
  return result.item;
}

function expectValidationError(run: () => unknown, field: string, reason: RegExp): DomainValidationError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainValidationError, `expected DomainValidationError, got ${String(error)}`);
    assert.equal(error.field, field);
    assert.match(error.reason, reason);
    return error;
  }
  assert.fail('expected a DomainValidationError');
}

describe('iSync seed table: products (iSync product → Stock2Shop)', () => {
  const item = pushed(mapISyncProduct(product, mappingContext));

  test('JobProductID → source_product_code', () => assert.equal(item.source.source_product_code, 'TSHIRT-01'));
  test('SKU → source_variant_code', () => assert.equal(item.product.variants.source_variant_code, 'TSHIRT-01-M'));
  test('JobDescription → title', () => assert.equal(item.product.title, 'Cotton T-Shirt'));
  test('RetailSellingPrice / SellingPrice → price tiers of the Master warehouse', () => {
    assert.deepEqual(item.product.variants.price_tiers, [
      { tier: 'Wholesale', price: 149 },
      { tier: 'Retail', price: 189 },
    ]);
  });
  test('RetailSellingPrice of the Master "Retail" list → price', () => assert.equal(item.product.variants.price, 199));
  test('AvailableUnits → variants.qty', () => assert.equal(item.product.variants.qty, 12));
  test('SKU → variants.sku', () => assert.equal(item.product.variants.sku, 'TSHIRT-01-M'));
  test('WebSale → product_active (Active → "true")', () => assert.equal(item.source.product_active, 'true'));
  test('WebSale → product_active (Delete → "false")', () => {
    assert.equal(pushed(mapISyncProduct({ ...product, WebSale: 'Delete' }, mappingContext)).source.product_active, 'false');
  });
  test('WebSale Ignore → not pushed', () => {
    assert.deepEqual(mapISyncProduct({ ...product, WebSale: ' ignore' }, mappingContext), {
      outcome: 'ignored',
      code: 'TSHIRT-01-M',
      reason: 'WebSale is Ignore',
    });
  });
  test('TRUE → inventory_management', () => assert.equal(item.product.variants.inventory_management, true));

  test('Product → collection, Size → option1, Colour → option2, Barcode → barcode', () => {
    assert.equal(item.product.collection, 'Apparel');
    assert.equal(item.product.variants.option1, 'M');
    assert.equal(item.product.variants.option2, 'Black');
    assert.equal(item.product.variants.barcode, '6001234000017');
    assert.deepEqual(item.product.options, [
      { name: 'Size', position: 1 },
      { name: 'Colour', position: 2 },
    ]);
  });

  test('the whole item is exactly this, and valid for Stock2Shop', () => {
    assert.deepEqual(item, {
      source: {
        source_id: SOURCE_ID,
        product_active: 'true',
        source_product_code: 'TSHIRT-01',
        sync_token: 'sync-1',
        fetch_token: 'fetch-1',
      },
      product: {
        title: 'Cotton T-Shirt',
        collection: 'Apparel',
        options: [
          { name: 'Size', position: 1 },
          { name: 'Colour', position: 2 },
        ],
        variants: {
          source_variant_code: 'TSHIRT-01-M',
          sku: 'TSHIRT-01-M',
          barcode: '6001234000017',
          qty: 12,
          price: 199,
          price_tiers: [
            { tier: 'Wholesale', price: 149 },
            { tier: 'Retail', price: 189 },
          ],
          inventory_management: true,
          option1: 'M',
          option2: 'Black',
        },
      },
    });
    assert.equal(Stock2ShopQueueItemSchema.safeParse(item).success, true);
  });
});

describe('iSync products: variants, options, prices', () => {
  test('a 3-variant variable product shares source_product_code, one item per variant', () => {
    const variants = ['S', 'M', 'L'].map((size, index) => ({
      ...product,
      SKU: `TSHIRT-01-${size}`,
      Barcode: `600123400001${index}`,
      Size: size,
      AvailableUnits: index + 1,
    }));
    const items = variants.map((variant) => pushed(mapISyncProduct(variant, mappingContext)));
    assert.deepEqual(
      items.map((item) => item.source.source_product_code),
      ['TSHIRT-01', 'TSHIRT-01', 'TSHIRT-01'],
    );
    assert.deepEqual(
      items.map((item) => item.product.variants.sku),
      ['TSHIRT-01-S', 'TSHIRT-01-M', 'TSHIRT-01-L'],
    );
    assert.deepEqual(
      items.map((item) => item.product.variants.option1),
      ['S', 'M', 'L'],
    );
    assert.deepEqual(
      items.map((item) => item.product.variants.qty),
      [1, 2, 3],
    );
  });

  test('a simple product: JobProductID equal to SKU, no options', () => {
    const simple = { ...product, JobProductID: 'MUG-02', SKU: 'MUG-02', Size: undefined, Colour: '' };
    const item = pushed(mapISyncProduct(simple, mappingContext));
    assert.equal(item.source.source_product_code, 'MUG-02');
    assert.equal(item.product.options, undefined);
    assert.equal(item.product.variants.option1, undefined);
    assert.equal(item.product.variants.option2, undefined);
  });

  test('options only for present ones: Colour alone', () => {
    const item = pushed(mapISyncProduct({ ...product, Size: null }, mappingContext));
    assert.deepEqual(item.product.options, [{ name: 'Colour', position: 2 }]);
    assert.equal(item.product.variants.option2, 'Black');
  });

  test('a blank JobProductID is taken as the SKU (simple product)', () => {
    assert.equal(pushed(mapISyncProduct({ ...product, JobProductID: '' }, mappingContext)).source.source_product_code, 'TSHIRT-01-M');
  });

  test('no Master "Retail" list → price from the first Master entry', () => {
    const priceLists = [
      { Warehouse: 'Durban', PriceList: 'Retail', RetailSellingPrice: 500, SellingPrice: 500 },
      { Warehouse: 'master', PriceList: 'Trade', RetailSellingPrice: 120.5, SellingPrice: 99.5 },
    ];
    const item = pushed(mapISyncProduct({ ...product, PriceLists: priceLists }, mappingContext));
    assert.equal(item.product.variants.price, 120.5);
    assert.deepEqual(item.product.variants.price_tiers, [{ tier: 'Trade', price: 99.5 }]);
  });

  test('non-Master warehouses are ignored, even with bad prices', () => {
    const priceLists = [
      { Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: 10, SellingPrice: 9 },
      { Warehouse: 'Cape Town', PriceList: 'Retail', RetailSellingPrice: -1, SellingPrice: null },
    ];
    const item = pushed(mapISyncProduct({ ...product, PriceLists: priceLists }, mappingContext));
    assert.deepEqual(item.product.variants.price_tiers, [{ tier: 'Retail', price: 9 }]);
  });

  test('a branch price list in another number format (or any shape) never makes the product invalid', () => {
    const master = { Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: '199.00', SellingPrice: 189 };
    const branches = [
      { Warehouse: 'Cape Town', PriceList: 'Retail', RetailSellingPrice: '209,00', SellingPrice: '1 209,50' },
      { Warehouse: 'Durban', PriceList: 'Retail', RetailSellingPrice: 'R209', SellingPrice: true },
      { Warehouse: 'Johannesburg', RetailSellingPrice: { amount: 1 } },
      { PriceList: 'Retail', SellingPrice: 'abc' },
      null,
      'Cape Town Retail',
    ];
    for (const priceLists of [
      [master, ...branches],
      [...branches, master],
    ]) {
      const item = pushed(mapISyncProduct({ ...product, PriceLists: priceLists }, mappingContext));
      assert.equal(item.product.variants.price, 199);
      assert.deepEqual(item.product.variants.price_tiers, [{ tier: 'Retail', price: 189 }]);
    }
    // Only branch lists, however written: no price, no tiers, still pushed.
    const item = pushed(mapISyncProduct({ ...product, PriceLists: branches }, mappingContext));
    assert.equal(item.product.variants.price, undefined);
    assert.equal(item.product.variants.price_tiers, undefined);
  });

  test('a Master price in another number format is invalid, naming the entry and field', () => {
    for (const [priceLists, field] of [
      [
        [
          { Warehouse: 'Cape Town', PriceList: 'Retail', SellingPrice: 1 },
          { Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: '199,00', SellingPrice: 1 },
        ],
        'PriceLists[1].RetailSellingPrice',
      ],
      [[{ Warehouse: ' master ', PriceList: 'Trade', RetailSellingPrice: 5, SellingPrice: '1,000.00' }], 'PriceLists[0].SellingPrice'],
      [[{ Warehouse: 'Master', RetailSellingPrice: 5, SellingPrice: 4 }], 'PriceLists[0].PriceList'],
      [[{ Warehouse: 'Master', PriceList: 'Retail', SellingPrice: 4 }], 'PriceLists[0].RetailSellingPrice'],
    ] as const) {
      const result = mapISyncProduct({ ...product, PriceLists: priceLists }, mappingContext);
      assert.ok(result.outcome === 'invalid', JSON.stringify(result));
      assert.deepEqual([result.code, result.field], ['TSHIRT-01-M', field]);
    }
  });

  test('no Master price list → no price, no tiers', () => {
    const item = pushed(mapISyncProduct({ ...product, PriceLists: [] }, mappingContext));
    assert.equal(item.product.variants.price, undefined);
    assert.equal(item.product.variants.price_tiers, undefined);
  });

  test('a bad Master price → invalid naming the SKU and the price list field', () => {
    const priceLists = [{ Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: 10, SellingPrice: 'cheap' }];
    const result = mapISyncProduct({ ...product, PriceLists: priceLists }, mappingContext);
    assert.ok(result.outcome === 'invalid');
    assert.deepEqual([result.code, result.field], ['TSHIRT-01-M', 'PriceLists[0].SellingPrice']);
  });

  test('numeric-string prices accepted', () => {
    const priceLists = [{ Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: '12.50', SellingPrice: '11.00' }];
    const item = pushed(mapISyncProduct({ ...product, PriceLists: priceLists }, mappingContext));
    assert.equal(item.product.variants.price, 12.5);
    assert.deepEqual(item.product.variants.price_tiers, [{ tier: 'Retail', price: 11 }]);
  });

  test('negative AvailableUnits → qty 0; fractional → rounded down', () => {
    assert.equal(pushed(mapISyncProduct({ ...product, AvailableUnits: -2 }, mappingContext)).product.variants.qty, 0);
    assert.equal(pushed(mapISyncProduct({ ...product, AvailableUnits: 3.9 }, mappingContext)).product.variants.qty, 3);
  });

  test('missing JobDescription → invalid naming the field', () => {
    const result = mapISyncProduct({ ...product, JobDescription: undefined }, mappingContext);
    assert.ok(result.outcome === 'invalid');
    assert.deepEqual([result.code, result.field, result.reason], ['TSHIRT-01-M', 'JobDescription', 'required']);
  });

  test('ISyncProductSchema parses the wire record', () => {
    assert.equal(ISyncProductSchema.parse(product).PriceLists.length, 3);
  });
});

describe('iSync seed table: orders (Stock2Shop order → iSync order)', () => {
  const order = sampleOrder({ shipping_lines: [{ title: 'Courier', price: 60.5 }] });
  const isyncOrder = mapOrderToISyncOrder(order, isyncConnection({ param_shipping_code: 'SHIP-SVC' }));

  test('PONumber ← channel_order_code', () => assert.equal(isyncOrder.PONumber, 'WEB-1001'));
  test('DeliveryDetail ← shipping_address', () => {
    assert.deepEqual(isyncOrder.DeliveryDetail, {
      ContactName: 'Jane Doe',
      Company: 'Doe Trading',
      Address1: '12 Long Street',
      Address2: 'Unit 4',
      City: 'Cape Town',
      Province: 'Western Cape',
      PostalCode: '8001',
      Country: 'South Africa',
      Phone: '+27 21 555 0100',
    });
  });
  test('ProductStockID ← line_item.sku', () => assert.equal(isyncOrder.Lines[0]?.ProductStockID, 'TSHIRT-01-M'));
  test('Units ← line_item.qty', () => assert.equal(isyncOrder.Lines[0]?.Units, 3));
  test('SellingPrice ← line_item.price', () => assert.equal(isyncOrder.Lines[0]?.SellingPrice, 173.04));
  test('ProductStockID ← shipping_code (the shipping charge line)', () => {
    assert.deepEqual(isyncOrder.Lines[2], { ProductStockID: 'SHIP-SVC', Units: 1, SellingPrice: 60.5, CnTypeID: 4 });
  });

  test('the whole order is exactly this, and valid for iSync', () => {
    assert.deepEqual(isyncOrder.Lines, [
      { ProductStockID: 'TSHIRT-01-M', Units: 3, SellingPrice: 173.04 },
      { ProductStockID: 'MUG-02', Units: 2, SellingPrice: 86.95 },
      { ProductStockID: 'SHIP-SVC', Units: 1, SellingPrice: 60.5, CnTypeID: 4 },
    ]);
    assert.equal(isyncOrder.CustomerCode, 'CUST-ACC-42');
    assert.equal(ISyncOrderSchema.safeParse(isyncOrder).success, true);
  });
});

describe('iSync orders: settings and rules', () => {
  test('ThirdPartyBarcode mode: lines name their item by barcode', () => {
    const isyncOrder = mapOrderToISyncOrder(sampleOrder(), isyncConnection({ param_order_line_item: 'ThirdPartyBarcode' }));
    assert.deepEqual(isyncOrder.Lines, [
      { ThirdPartyBarcode: '6001234000017', Units: 3, SellingPrice: 173.04 },
      { ThirdPartyBarcode: '6001234000024', Units: 2, SellingPrice: 86.95 },
    ]);
    assert.equal(ISyncOrderSchema.safeParse(isyncOrder).success, true);
  });

  test('ThirdPartyBarcode mode: the shipping line still uses ProductStockID', () => {
    const order = sampleOrder({ shipping_lines: [{ price: 45 }] });
    const isyncOrder = mapOrderToISyncOrder(
      order,
      isyncConnection({ param_order_line_item: 'ThirdPartyBarcode', param_shipping_code: 'SHIP', shipping_cn_type_id: 9 }),
    );
    assert.deepEqual(isyncOrder.Lines[2], { ProductStockID: 'SHIP', Units: 1, SellingPrice: 45, CnTypeID: 9 });
  });

  test('ThirdPartyBarcode mode: a line without a barcode → error naming the line', () => {
    const order = sampleOrder();
    delete (order.line_items as Array<Record<string, unknown>>)[1]!.barcode;
    const error = expectValidationError(
      () => mapOrderToISyncOrder(order, isyncConnection({ param_order_line_item: 'ThirdPartyBarcode' })),
      'line_items[1].barcode',
      /MUG-02/,
    );
    assert.match(error.message, /^Order WEB-1001: line_items\[1\]\.barcode: required/);
  });

  test('a shipping charge without param_shipping_code → error naming the setting', () => {
    expectValidationError(
      () => mapOrderToISyncOrder(sampleOrder({ shipping_lines: [{ price: 10 }] }), isyncConnection()),
      'param_shipping_code',
      /param_shipping_code/,
    );
  });

  test('CustomerCode falls back to param_default_customer_code', () => {
    const isyncOrder = mapOrderToISyncOrder(sampleOrder({ sources: [] }), isyncConnection({ param_default_customer_code: 'WEB-CASH' }));
    assert.equal(isyncOrder.CustomerCode, 'WEB-CASH');
  });

  test('CustomerCode is optional for iSync: left out when there is none', () => {
    const isyncOrder = mapOrderToISyncOrder(sampleOrder({ sources: [] }), isyncConnection());
    assert.equal('CustomerCode' in isyncOrder, false);
  });

  test('no shipping address → the billing address is the delivery detail', () => {
    const isyncOrder = mapOrderToISyncOrder(sampleOrder({ shipping_address: null }), isyncConnection());
    assert.equal(isyncOrder.DeliveryDetail.ContactName, 'Bill Payer');
    assert.equal(isyncOrder.DeliveryDetail.Address1, '1 Billing Rd');
    assert.equal(isyncOrder.DeliveryDetail.Company, '');
  });

  test('no address at all → error naming shipping_address', () => {
    expectValidationError(
      () => mapOrderToISyncOrder(sampleOrder({ shipping_address: null, billing_address: null }), isyncConnection()),
      'shipping_address',
      /required/,
    );
  });

  test('an order line with qty 0 → error naming the line', () => {
    const order = sampleOrder({ line_items: [{ sku: 'A', qty: 0, price: 1 }] });
    const error = expectValidationError(() => mapOrderToISyncOrder(order, isyncConnection()), 'line_items[0].qty', /more than 0/);
    assert.equal(error.message, 'Order WEB-1001: line_items[0].qty: must be more than 0');
  });
});
