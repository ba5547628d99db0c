/**
 * iSync: its product records, its orders, and the mappings to and from Stock2Shop (the seed
 * `isync.md` is the specification; Stock2Shop's default iSync field map adds Product, Size,
 * Colour and the price lists).
 *
 * Products:  JobProductID → source_product_code (variants sharing it form one variable product);
 *            SKU → source_variant_code, variants.sku; JobDescription → title; Product → collection;
 *            Size → option1; Colour → option2; Barcode → barcode; AvailableUnits → qty;
 *            WebSale → product_active (Active/Delete/Ignore); Master warehouse price lists → price
 *            and price_tiers; inventory_management = true.
 * Orders:    channel_order_code → PONumber; shipping_address → DeliveryDetail; line sku →
 *            ProductStockID (or barcode → ThirdPartyBarcode); qty → Units; price → SellingPrice;
 *            shipping charge → one more line against the shipping code. Only the fields iSync
 *            receives are held to iSync's rules (source-limits.ts): the billing address only when
 *            the order has no shipping address, no title, name of the customer or note.
 */
import { z } from 'zod';
import { decideProductLifecycle, parsePrice } from './lifecycle';
import { requireShippingCode, shippingChargeOf, type OrderMappingConnection } from './orders';
import { escapeUnsafeCharacters } from './order-code';
import { customerAccountOf } from './order-values';
import { ISYNC_TEXT_RULES, sourceTextChecker, type TextRule } from './source-limits';
import { rawField, recordCodeOf, type ProductMappingContext, type ProductMappingResult } from './products';
import { parseStock2ShopOrder, type PriceTier, type ProductOption, type Stock2ShopAddress, type Stock2ShopQueueItem } from './stock2shop';
import { DomainValidationError, firstProblem } from './validation';
import { CodeSchema, NumberLikeSchema, OptionalTextSchema, RequiredTextSchema, StockQuantitySchema, listOrEmpty } from './values';

// ---------------------------------------------------------------------------------------------
// Products → Stock2Shop
// ---------------------------------------------------------------------------------------------

/** The warehouse whose price lists Stock2Shop takes; other warehouses are ignored. */
export const ISYNC_PRICE_WAREHOUSE = 'Master';
/** The Master price list whose RetailSellingPrice is the product's price. */
export const ISYNC_RETAIL_PRICE_LIST = 'Retail';

/**
 * One Master price list entry, read strictly: warehouse and list names are text, prices a number or
 * numeric text (`"199.00"`). Only Master entries are read at all (`masterPrices`): an entry of any
 * other warehouse is never looked at beyond its `Warehouse`, so it never makes a product invalid,
 * whatever number format (or shape) a branch price list uses.
 */
export const ISyncPriceListSchema = z.object({
  Warehouse: RequiredTextSchema,
  PriceList: RequiredTextSchema,
  RetailSellingPrice: NumberLikeSchema.nullish(),
  SellingPrice: NumberLikeSchema.nullish(),
});
export type ISyncPriceList = z.infer<typeof ISyncPriceListSchema>;

/** An iSync product (one variant) as `GetProducts` lists it. Texts are trimmed; blanks count as absent. */
export const ISyncProductSchema = z.object({
  /** Groups variants into one product; equal to SKU for a simple product (a blank one is taken as SKU). */
  JobProductID: OptionalTextSchema,
  SKU: CodeSchema,
  Barcode: OptionalTextSchema,
  JobDescription: RequiredTextSchema,
  Product: OptionalTextSchema,
  Size: OptionalTextSchema,
  Colour: OptionalTextSchema,
  /** May be negative or fractional in iSync, normalised to a whole number ≥ 0. */
  AvailableUnits: StockQuantitySchema,
  /** Ignore / Active / Delete in any case; read by `decideProductLifecycle`. */
  WebSale: z.string().nullish(),
  /** Every warehouse's price lists, as received: only the Master entries are read (`masterPrices`). */
  PriceLists: listOrEmpty(z.unknown()),
});
export type ISyncProduct = z.infer<typeof ISyncProductSchema>;

const sameName = (a: string, b: string): boolean => a.trim().toLowerCase() === b.toLowerCase();

type PriceResult = { ok: true; price: number | undefined; priceTiers: PriceTier[] } | { ok: false; field: string; reason: string };

/** Whether a price list entry, as received, belongs to the Master warehouse (anything unreadable does not). */
function isMasterEntry(entry: unknown): boolean {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return false;
  const warehouse = (entry as { Warehouse?: unknown }).Warehouse;
  return typeof warehouse === 'string' && sameName(warehouse, ISYNC_PRICE_WAREHOUSE);
}

/**
 * Price and price tiers from the Master warehouse:
 * - price ← RetailSellingPrice of the Master "Retail" price list, or of the first Master entry;
 * - price_tiers ← every Master price list as `{ tier: PriceList, price: SellingPrice }`.
 * A product with no Master price list has neither (Stock2Shop keeps its current price). Only the
 * Master entries are validated (their prices present and ≥ 0); every other entry is skipped unread.
 */
function masterPrices(priceLists: ReadonlyArray<unknown>): PriceResult {
  const master: { entry: ISyncPriceList; index: number }[] = [];
  for (const [index, raw] of priceLists.entries()) {
    if (!isMasterEntry(raw)) continue;
    const parsed = ISyncPriceListSchema.safeParse(raw);
    if (!parsed.success) {
      const problem = firstProblem(parsed.error, raw);
      return { ok: false, field: `PriceLists[${index}].${problem.field}`, reason: problem.reason };
    }
    master.push({ entry: parsed.data, index });
  }
  const priceTiers: PriceTier[] = [];
  for (const { entry, index } of master) {
    const price = parsePrice(entry.SellingPrice);
    if (!price.ok) return { ok: false, field: `PriceLists[${index}].SellingPrice`, reason: price.reason };
    priceTiers.push({ tier: entry.PriceList, price: price.value });
  }
  const retail = master.find(({ entry }) => sameName(entry.PriceList, ISYNC_RETAIL_PRICE_LIST)) ?? master[0];
  if (retail === undefined) return { ok: true, price: undefined, priceTiers };
  const price = parsePrice(retail.entry.RetailSellingPrice);
  if (!price.ok) return { ok: false, field: `PriceLists[${retail.index}].RetailSellingPrice`, reason: price.reason };
  return { ok: true, price: price.value, priceTiers };
}

/**
 * Maps one iSync product record to a Stock2Shop queue item. Never throws: an `Ignore` record is
 * `ignored`, a bad record is `invalid` with its SKU, the iSync field name and the reason. The
 * flag is read first, so an Ignore record is never reported for its other fields.
 */
export function mapISyncProduct(record: unknown, context: ProductMappingContext): ProductMappingResult {
  const code = recordCodeOf(record, 'SKU', 'JobProductID') ?? '(no SKU)';
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { outcome: 'invalid', code, field: '(record)', reason: 'must be an object' };
  }
  const lifecycle = decideProductLifecycle(rawField(record, 'WebSale'));
  if (lifecycle.action === 'ignored') return { outcome: 'ignored', code, reason: 'WebSale is Ignore' };
  if (lifecycle.action === 'invalid') return { outcome: 'invalid', code, field: 'WebSale', reason: lifecycle.reason };

  const parsed = ISyncProductSchema.safeParse(record);
  if (!parsed.success) return { outcome: 'invalid', code, ...firstProblem(parsed.error, record) };
  const product = parsed.data;

  const prices = masterPrices(product.PriceLists);
  if (!prices.ok) return { outcome: 'invalid', code: product.SKU, field: prices.field, reason: prices.reason };

  const options: ProductOption[] = [];
  if (product.Size !== undefined) options.push({ name: 'Size', position: 1 });
  if (product.Colour !== undefined) options.push({ name: 'Colour', position: 2 });

  const item: Stock2ShopQueueItem = {
    source: {
      source_id: context.sourceId,
      product_active: lifecycle.product_active,
      source_product_code: product.JobProductID ?? product.SKU,
      sync_token: context.syncToken,
      fetch_token: context.fetchToken,
    },
    product: {
      title: product.JobDescription,
      ...(product.Product !== undefined ? { collection: product.Product } : {}),
      ...(options.length > 0 ? { options } : {}),
      variants: {
        source_variant_code: product.SKU,
        sku: product.SKU,
        ...(product.Barcode !== undefined ? { barcode: product.Barcode } : {}),
        qty: product.AvailableUnits,
        ...(prices.price !== undefined ? { price: prices.price } : {}),
        ...(prices.priceTiers.length > 0 ? { price_tiers: prices.priceTiers } : {}),
        inventory_management: true,
        ...(product.Size !== undefined ? { option1: product.Size } : {}),
        ...(product.Colour !== undefined ? { option2: product.Colour } : {}),
      },
    },
  };
  return { outcome: 'push', code: product.SKU, item };
}

// ---------------------------------------------------------------------------------------------
// Stock2Shop orders → iSync orders
// ---------------------------------------------------------------------------------------------

export const ISyncDeliveryDetailSchema = z.object({
  ContactName: z.string(),
  Company: z.string(),
  Address1: z.string(),
  Address2: z.string(),
  City: z.string(),
  Province: z.string(),
  PostalCode: z.string(),
  Country: z.string(),
  Phone: z.string(),
});
export type ISyncDeliveryDetail = z.infer<typeof ISyncDeliveryDetailSchema>;

/** An order line names its item by exactly one of ProductStockID (SKU) or ThirdPartyBarcode. */
export const ISyncOrderLineSchema = z
  .object({
    ProductStockID: z.string().min(1).optional(),
    ThirdPartyBarcode: z.string().min(1).optional(),
    Units: z.number().int().positive(),
    SellingPrice: z.number().min(0),
    /** Line type id; set on the shipping line (`shipping_cn_type_id`, default 4). */
    CnTypeID: z.number().int().positive().optional(),
  })
  .refine((line) => (line.ProductStockID === undefined) !== (line.ThirdPartyBarcode === undefined), {
    error: 'must name its item by exactly one of ProductStockID or ThirdPartyBarcode',
  });
export type ISyncOrderLine = z.infer<typeof ISyncOrderLineSchema>;

/** The `Order` of `CreateOrder`. */
export const ISyncOrderSchema = z.object({
  PONumber: z.string().min(1),
  CustomerCode: z.string().min(1).optional(),
  DeliveryDetail: ISyncDeliveryDetailSchema,
  Lines: z.array(ISyncOrderLineSchema).min(1),
});
export type ISyncOrder = z.infer<typeof ISyncOrderSchema>;

type TextCheck = ReturnType<typeof sourceTextChecker>;

/** DeliveryDetail from the address at `path` (`shipping_address`), each field held to iSync's rule. */
function deliveryDetailOf(address: Stock2ShopAddress, path: 'shipping_address' | 'billing_address', check: TextCheck): ISyncDeliveryDetail {
  const R = ISYNC_TEXT_RULES;
  /** The first of `fields` the address has, checked against `rule` under its own name; '' for none. */
  const pick = (rule: TextRule, ...fields: (keyof Stock2ShopAddress)[]): string => {
    const field = fields.find((name) => address[name] !== undefined);
    return field === undefined ? '' : check(`${path}.${field}`, address[field]!, rule);
  };
  const names = [pick(R.ContactName, 'first_name'), pick(R.ContactName, 'last_name')];
  return {
    ContactName: check(`${path}.last_name`, names.filter((part) => part !== '').join(' '), R.ContactName),
    Company: pick(R.Company, 'company'),
    Address1: pick(R.Address1, 'address1'),
    Address2: pick(R.Address2, 'address2'),
    City: pick(R.City, 'city'),
    Province: pick(R.Province, 'province', 'province_code'),
    PostalCode: pick(R.PostalCode, 'zip'),
    Country: pick(R.Country, 'country', 'country_code'),
    Phone: pick(R.Phone, 'phone'),
  };
}

/**
 * Maps a Stock2Shop order to an iSync order. Validates the order first.
 *
 * Throws `DomainValidationError` (a person must fix it; never retry) for: an invalid order,
 * an order with no shipping (nor billing) address, a line with no barcode in ThirdPartyBarcode
 * mode, a shipping charge without `param_shipping_code`, or a field iSync receives that breaks
 * iSync's rule (`... shipping_address.address1: must be at most 255 characters (iSync DeliveryDetail.Address1)`).
 *
 * - DeliveryDetail ← shipping_address (billing_address when the order has none); ContactName is
 *   first and last name; Province and Country fall back to their codes;
 * - a line's item ← sku as ProductStockID, or barcode as ThirdPartyBarcode when
 *   `param_order_line_item` is "ThirdPartyBarcode";
 * - shipping charge (sum of shipping_lines, only when > 0) ← one more line
 *   `{ ProductStockID: param_shipping_code, Units: 1, SellingPrice, CnTypeID: shipping_cn_type_id }`;
 * - CustomerCode ← the order's source customer code, else the channel's `source_customer_code`
 *   (params, meta), else `param_default_customer_code`, else left out (optional for iSync).
 */
export function mapOrderToISyncOrder(
  /** A Stock2Shop order as received (raw JSON or an already parsed `Stock2ShopOrder`); validated here. */
  orderInput: unknown,
  connection: OrderMappingConnection,
): ISyncOrder {
  const order = parseStock2ShopOrder(orderInput);
  const { settings } = connection;
  const fail = (field: string, reason: string): never => {
    throw new DomainValidationError({ recordType: 'Order', record: order.channel_order_code, field, reason });
  };
  const check = sourceTextChecker(order.channel_order_code);

  const path = order.shipping_address ? 'shipping_address' : 'billing_address';
  const address = order[path];
  if (address == null) return fail('shipping_address', 'required (the order has no shipping or billing address)');
  const customer = customerAccountOf(order, connection);
  const customerCode = customer === undefined || customer.setting ? customer?.value : check(customer.field, customer.value, ISYNC_TEXT_RULES.CustomerCode);
  const deliveryDetail = deliveryDetailOf(address, path, check);

  const byBarcode = settings.param_order_line_item === 'ThirdPartyBarcode';
  const lines: ISyncOrderLine[] = order.line_items.map((line, index) => {
    if (!byBarcode) {
      return { ProductStockID: check(`line_items[${index}].sku`, line.sku, ISYNC_TEXT_RULES.ProductStockID), Units: line.qty, SellingPrice: line.price };
    }
    if (line.barcode === undefined) {
      return fail(
        `line_items[${index}].barcode`,
        `required: line ${index + 1} (sku ${escapeUnsafeCharacters(line.sku)}) has no barcode and param_order_line_item is ThirdPartyBarcode`,
      );
    }
    return {
      ThirdPartyBarcode: check(`line_items[${index}].barcode`, line.barcode, ISYNC_TEXT_RULES.ThirdPartyBarcode),
      Units: line.qty,
      SellingPrice: line.price,
    };
  });

  const shippingCharge = shippingChargeOf(order);
  if (shippingCharge > 0) {
    lines.push({
      ProductStockID: requireShippingCode(order, connection),
      Units: 1,
      SellingPrice: shippingCharge,
      CnTypeID: settings.shipping_cn_type_id,
    });
  }

  return {
    PONumber: order.channel_order_code,
    ...(customerCode !== undefined ? { CustomerCode: customerCode } : {}),
    DeliveryDetail: deliveryDetail,
    Lines: lines,
  };
}
