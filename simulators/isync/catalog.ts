/** Generated iSync stock: a South African outdoor and apparel retailer, with variable and simple products. */
import { cents, createRandom, distinctIndexes, shelfPrice, type Random } from '../lib/random';
import type { ISyncPriceList, ISyncProduct } from './types';

export interface GeneratedCatalog<T> {
  items: T[];
  /** SKUs of the deliberately malformed records. */
  malformedCodes: string[];
}

/** The courier service item every generated catalog holds, for the shipping line of an order. */
export const ISYNC_SHIPPING_ITEM: ISyncProduct = {
  JobProductID: 'SHIP',
  SKU: 'SHIP',
  JobDescription: 'Courier Delivery',
  Product: 'Services',
  AvailableUnits: 0,
  WebSale: 'Ignore',
  PriceLists: [{ Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: 99, SellingPrice: 99 }],
};

interface VariableLine {
  prefix: string;
  name: string;
  product: string;
  sizes: string[];
  price: [number, number];
}

const VARIABLE_LINES: VariableLine[] = [
  { prefix: 'TSH', name: 'Cotton T-Shirt', product: 'Apparel', sizes: ['S', 'M', 'L', 'XL'], price: [149, 349] },
  { prefix: 'HOD', name: 'Fleece Hoodie', product: 'Apparel', sizes: ['S', 'M', 'L', 'XL', 'XXL'], price: [399, 899] },
  { prefix: 'SHT', name: 'Trail Shorts', product: 'Apparel', sizes: ['30', '32', '34', '36'], price: [249, 549] },
  { prefix: 'JER', name: 'Rugby Supporter Jersey', product: 'Apparel', sizes: ['S', 'M', 'L', 'XL'], price: [499, 1199] },
  { prefix: 'JAC', name: 'Rain Jacket', product: 'Apparel', sizes: ['S', 'M', 'L', 'XL'], price: [699, 1899] },
  { prefix: 'BOO', name: 'Hiking Boot', product: 'Footwear', sizes: ['6', '7', '8', '9', '10', '11'], price: [899, 2499] },
  { prefix: 'SOC', name: 'Hiking Socks 3-Pack', product: 'Footwear', sizes: ['S', 'M', 'L'], price: [99, 249] },
];

const SIMPLE_LINES: Array<{ prefix: string; names: string[]; product: string; price: [number, number] }> = [
  { prefix: 'BOT', names: ['Water Bottle 750ml', 'Insulated Flask 1L', 'Hydration Bladder 2L'], product: 'Accessories', price: [99, 499] },
  { prefix: 'PAK', names: ['Day Pack 25L', 'Hiking Pack 45L', 'Waist Bag'], product: 'Accessories', price: [199, 1999] },
  { prefix: 'CAP', names: ['Sun Cap', 'Wide-Brim Hat', 'Beanie'], product: 'Accessories', price: [99, 349] },
  { prefix: 'LMP', names: ['Headlamp 300 Lumen', 'Rechargeable Torch', 'Camping Lantern'], product: 'Camping', price: [149, 799] },
  {
    prefix: 'CMP',
    names: ['Enamel Camping Mug', 'Dome Tent 2-Person', 'Sleeping Bag -5°C', 'Camp Chair', 'Folding Braai Grid'],
    product: 'Camping',
    price: [79, 3499],
  },
  { prefix: 'TRK', names: ['Trekking Poles (Pair)', 'Gaiters', 'First Aid Kit'], product: 'Accessories', price: [149, 899] },
];

const BRANDS = ['Kloof', 'Sani', 'Cederberg', 'Magalies', 'Amatola', 'Otter', 'Fish River', 'Baviaans', 'Swartberg', 'Tsitsikamma'];

const COLOURS: Array<[name: string, code: string]> = [
  ['Black', 'BLK'],
  ['Navy', 'NVY'],
  ['Olive', 'OLV'],
  ['Charcoal', 'CHR'],
  ['Khaki', 'KHK'],
  ['Red', 'RED'],
  ['White', 'WHT'],
];

/** Ways real records go wrong; each malformed record gets the next one. */
const MALFORMATIONS: Array<(product: ISyncProduct) => ISyncProduct> = [
  (product) => ({
    ...product,
    PriceLists: (product.PriceLists ?? []).map((list) =>
      list.Warehouse === 'Master' && list.PriceList === 'Retail' ? { ...list, RetailSellingPrice: 'abc', SellingPrice: 'abc' } : list,
    ),
  }),
  ({ JobDescription: _missing, ...rest }) => rest,
  (product) => ({ ...product, AvailableUnits: 'n/a' }),
  (product) => ({ ...product, PriceLists: (product.PriceLists ?? []).filter((list) => list.Warehouse !== 'Master') }),
];

/** `size` records (one is the SHIP service item), the same for the same seed; `malformed` of them broken. */
export function generateISyncCatalog(size: number, seed: number, malformed = 0): GeneratedCatalog<ISyncProduct> {
  if (size <= 0) return { items: [], malformedCodes: [] };
  const random = createRandom(seed);
  const items: ISyncProduct[] = [];
  let group = 0;
  while (items.length < size - 1) {
    group++;
    const products = random.chance(0.6) ? variableProduct(random, group, items.length) : [simpleProduct(random, group, items.length)];
    items.push(...products.slice(0, size - 1 - items.length));
  }
  const malformedCodes: string[] = [];
  distinctIndexes(random, items.length, malformed).forEach((index, n) => {
    const broken = (MALFORMATIONS[n % MALFORMATIONS.length] as (typeof MALFORMATIONS)[number])(items[index] as ISyncProduct);
    items[index] = broken;
    malformedCodes.push(broken.SKU);
  });
  items.push(structuredClone(ISYNC_SHIPPING_ITEM));
  return { items, malformedCodes: malformedCodes.sort() };
}

function variableProduct(random: Random, group: number, skusSoFar: number): ISyncProduct[] {
  const line = random.pick(VARIABLE_LINES);
  const jobProductId = `${line.prefix}-${String(group).padStart(6, '0')}`;
  const description = `${random.pick(BRANDS)} ${line.name}`;
  const retail = shelfPrice(random, line.price[0], line.price[1]);
  const priceLists = priceListsFor(random, retail);
  const webSale = webSaleFlag(random);
  const firstColour = random.int(0, COLOURS.length - 1);
  const colours = random.chance(0.5) ? [COLOURS[firstColour], COLOURS[(firstColour + 1) % COLOURS.length]] : [COLOURS[firstColour]];
  const products: ISyncProduct[] = [];
  for (const [colour, colourCode] of colours as Array<[string, string]>) {
    for (const size of line.sizes) {
      products.push({
        JobProductID: jobProductId,
        SKU: `${jobProductId}-${size}-${colourCode}`,
        Barcode: ean13(skusSoFar + products.length + 1),
        JobDescription: description,
        Product: line.product,
        Size: size,
        Colour: colour,
        AvailableUnits: availableUnits(random),
        WebSale: webSale,
        PriceLists: priceLists,
      });
    }
  }
  return products;
}

function simpleProduct(random: Random, group: number, skusSoFar: number): ISyncProduct {
  const line = random.pick(SIMPLE_LINES);
  const code = `${line.prefix}-${String(group).padStart(6, '0')}`;
  return {
    JobProductID: code,
    SKU: code,
    Barcode: ean13(skusSoFar + 1),
    JobDescription: `${random.pick(BRANDS)} ${random.pick(line.names)}`,
    Product: line.product,
    AvailableUnits: availableUnits(random),
    WebSale: webSaleFlag(random),
    PriceLists: priceListsFor(random, shelfPrice(random, line.price[0], line.price[1])),
  };
}

/** Master Retail and Wholesale, sometimes branch lists too, and now and then a branch list first. */
function priceListsFor(random: Random, retail: number): ISyncPriceList[] {
  const list = (Warehouse: string, PriceList: string, retailFactor: number, sellingFactor: number): ISyncPriceList => ({
    Warehouse,
    PriceList,
    RetailSellingPrice: cents(retail * retailFactor),
    SellingPrice: cents(retail * sellingFactor),
  });
  const master = [list('Master', 'Retail', 1, 1), list('Master', 'Wholesale', 1, 0.75)];
  const branches: ISyncPriceList[] = [];
  if (random.chance(0.5)) branches.push(list('Cape Town', 'Retail', 1.05, 1.05));
  if (random.chance(0.3)) branches.push(list('Durban', 'Retail', 1.03, 1.03));
  if (random.chance(0.2)) branches.push(list('Johannesburg', 'Wholesale', 1, 0.72));
  return random.chance(0.2) ? [...branches, ...master] : [...master, ...branches];
}

function webSaleFlag(random: Random): string {
  const roll = random.next();
  if (roll < 0.85) return 'Active';
  if (roll < 0.91) return 'Delete';
  if (roll < 0.96) return 'Ignore';
  return random.pick(['active', 'ACTIVE', 'delete', 'IGNORE']);
}

function availableUnits(random: Random): number {
  const roll = random.next();
  if (roll < 0.03) return -random.int(1, 5);
  if (roll < 0.13) return 0;
  return random.int(1, 60);
}

/** A South African (600) EAN-13 with a valid check digit, unique per sequence number. */
export function ean13(sequence: number): string {
  const body = `600${String(sequence).padStart(9, '0')}`;
  const sum = [...body].reduce((total, digit, i) => total + Number(digit) * (i % 2 === 0 ? 1 : 3), 0);
  return `${body}${(10 - (sum % 10)) % 10}`;
}
