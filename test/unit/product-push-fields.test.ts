/**
 * What the engine sends in a queue item, against Stock2Shop's public payloads (issue 24 item 3, part):
 * the developer guide writes `source_id`, `options[].position` and `inventory_management` as text, the
 * read side returns a number and a boolean, and the engine sends the typed values (domain/stock2shop.ts
 * says why). The Stock2Shop simulator, written from Stock2Shop's side, takes both forms as its DTOs do.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Stock2ShopQueueItemSchema, mapISyncProduct, mapOmniStockItem, type Stock2ShopQueueItem } from '../../domain';
import { validateQueueBatch } from '../../simulators/stock2shop/queue-validation';
import { realPayloads } from '../fixtures/stock2shop-real';
import { mappingContext } from './fixtures';

type Json = Record<string, unknown>;
const pushed = (result: ReturnType<typeof mapOmniStockItem>): Stock2ShopQueueItem => {
  assert.equal(result.outcome, 'push');
  return (result as { item: Stock2ShopQueueItem }).item;
};
const omniItem = pushed(
  mapOmniStockItem({ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 3 }, mappingContext),
);
const isyncItem = pushed(
  mapISyncProduct(
    {
      JobProductID: 'TEE',
      SKU: 'TEE-M',
      Barcode: '600123',
      JobDescription: 'Tee',
      Product: 'Shirts',
      Size: 'M',
      Colour: 'Red',
      AvailableUnits: 4,
      WebSale: 'Active',
      PriceLists: [{ Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: 199, SellingPrice: 150 }],
    },
    mappingContext,
  ),
);
const [fullModel, minimum] = realPayloads('product-push').map(({ payload }) => payload as { system_products: Json[] });
const readSide = realPayloads('product-read').map(({ entry, payload }) => ({ entry, product: payload as Json }));

/** Every key path of `value` (`product.variants.qty`; list items as `[]`). */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => keyPaths(item, `${prefix}[]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}${prefix ? '.' : ''}${key}`, ...keyPaths(child, `${prefix}${prefix ? '.' : ''}${key}`)]);
}

describe("the engine's queue item and Stock2Shop's documented model", () => {
  test("every field the engine sends is one of the guide's full model", () => {
    const documented = new Set(keyPaths(fullModel!.system_products[0]));
    for (const item of [omniItem, isyncItem]) {
      for (const path of keyPaths(item)) assert.ok(documented.has(path), `${path} is not in the guide's full model`);
    }
  });

  test('the guide writes the three fields as text', () => {
    const item = fullModel!.system_products[0] as { source: Json; product: { options: Json[]; variants: Json } };
    assert.deepEqual([item.source.source_id, item.product.options[0]!.position, item.product.variants.inventory_management], ['{source_id}', '1', 'true']);
  });

  for (const { entry, product } of readSide) {
    test(`the engine sends them as ${entry.repo} ${entry.path} returns them: a number, a number, a boolean`, () => {
      const options = product.options as Json[];
      const variant = (product.variants as Json[])[0]!;
      assert.equal(typeof product.source_id, 'number');
      assert.equal(typeof options[0]!.position, 'number');
      assert.equal(typeof variant.inventory_management, 'boolean');
      assert.equal(typeof isyncItem.source.source_id, typeof product.source_id);
      assert.equal(typeof isyncItem.product.options![0]!.position, typeof options[0]!.position);
      assert.equal(typeof isyncItem.product.variants.inventory_management, typeof variant.inventory_management);
    });
  }

  test("our own schema holds the engine to the typed form (the guide's text form is not what we send)", () => {
    assert.ok(Stock2ShopQueueItemSchema.safeParse(isyncItem).success);
    const asText = structuredClone(isyncItem) as unknown as { product: { options: Json[]; variants: Json } };
    asText.product.options[0]!.position = '1';
    assert.ok(!Stock2ShopQueueItemSchema.safeParse(asText).success);
  });
});

describe('the simulator takes what Stock2Shop takes, and holds it as Stock2Shop does', () => {
  /** The guide's model with its placeholder filled in, as a developer would send it. */
  const filled = (body: { system_products: Json[] }) => JSON.parse(JSON.stringify(body).replaceAll('{source_id}', '57')) as { system_products: Json[] };
  const held = (body: unknown) => {
    const batch = validateQueueBatch(body);
    assert.ok('items' in batch, JSON.stringify(batch));
    return batch.items;
  };

  test("the guide's full model and its minimum are taken; text is held as a number and a boolean", () => {
    const [item] = held(filled(fullModel!));
    assert.equal(item!.source.source_id, 57);
    assert.deepEqual(item!.product.options, [{ name: 'Size', position: 1 }]);
    assert.equal(item!.product.variants.inventory_management, true);
    const [least] = held(filled(minimum!));
    assert.equal(least!.product.variants.sku, 'ABC');
    assert.ok(!('inventory_management' in least!.product.variants), 'nothing is invented');
  });

  test("the engine's items are taken and held as they are", () => {
    const items = held({ system_products: [omniItem, isyncItem] });
    assert.deepEqual(items[1]!.product, isyncItem.product);
    assert.deepEqual(items[0]!.source, omniItem.source);
  });

  test('inventory_management is read as Stock2Shop reads a boolean', () => {
    const valueOf = (value: unknown) => {
      const item = structuredClone(isyncItem) as unknown as { product: { variants: Json } };
      item.product.variants.inventory_management = value;
      return held({ system_products: [item] })[0]!.product.variants.inventory_management;
    };
    assert.deepEqual([true, 'true', 'TRUE', 1, '1', 'yes'].map(valueOf), [true, true, true, true, true, true]);
    assert.deepEqual([false, 'false', 'False', 0, '0', ''].map(valueOf), [false, false, false, false, false, false]);
  });

  test("a position that is not a number is refused, as Stock2Shop's intFrom refuses it", () => {
    const item = structuredClone(isyncItem) as unknown as { product: { options: Json[] } };
    item.product.options[0]!.position = 'first';
    assert.deepEqual(validateQueueBatch({ system_products: [item] }), { error: 'system_products[0].product.options[0].position must be a whole number' });
    item.product.options[0]!.position = ' 2 ';
    assert.deepEqual(held({ system_products: [item] })[0]!.product.options, [
      { name: 'Size', position: 2 },
      { name: 'Colour', position: 2 },
    ]);
  });
});
