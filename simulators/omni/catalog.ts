/** Generated Omni Accounts stock: a South African homeware, hardware and pantry retailer. */
import { createRandom, distinctIndexes, shelfPrice, type Random } from '../lib/random';
import type { OmniStockItem } from './types';

export interface GeneratedCatalog<T> {
  items: T[];
  /** Codes of the deliberately malformed records. */
  malformedCodes: string[];
}

/** The courier service item every generated catalog holds, for the shipping line of an order. */
export const OMNI_SHIPPING_ITEM: OmniStockItem = {
  STOCKCODE: 'SHIP',
  DESCRIPTION: 'Courier Delivery',
  EXTRADTLS8: 'IGNORE',
  SELLINGPRICE1: 99,
  OAvailable: 0,
};

interface ProductLine {
  prefix: string;
  names: string[];
  price: [number, number];
}

const PRODUCT_LINES: ProductLine[] = [
  { prefix: 'KET', names: ['Cordless Kettle 1.7L', 'Stainless Steel Kettle 1.5L', 'Glass Kettle 1.7L'], price: [249, 899] },
  { prefix: 'TOA', names: ['Two-Slice Toaster', 'Four-Slice Toaster', 'Sandwich Maker'], price: [299, 799] },
  { prefix: 'BRA', names: ['Braai Tongs 45cm', 'Folding Braai Grid', 'Kettle Braai 57cm', 'Braai Brush', 'Charcoal 4kg'], price: [49, 2499] },
  { prefix: 'POT', names: ['Potjie Pot No. 3', 'Potjie Pot No. 1', 'Cast Iron Skillet 26cm', 'Dutch Oven 5L'], price: [299, 1499] },
  { prefix: 'LAN', names: ['Rechargeable LED Lantern', 'Solar Camping Lantern', 'Emergency Light 12h'], price: [149, 699] },
  { prefix: 'PWR', names: ['Power Bank 20000mAh', 'Inverter 600W', 'Router UPS 12V', 'Extension Cord 5m', 'Surge Protector Plug'], price: [129, 3999] },
  { prefix: 'GLB', names: ['LED Globe 9W E27', 'LED Globe 5W B22', 'Rechargeable LED Globe', 'Downlight GU10 6W'], price: [19, 149] },
  { prefix: 'COO', names: ['Cooler Box 45L', 'Cooler Bag 24 Can', 'Ice Brick 2-Pack'], price: [39, 1299] },
  { prefix: 'GAR', names: ['Garden Hose 20m', 'Solar Garden Light', 'Pruning Shears', 'Lawn Sprinkler', 'Spade Long Handle'], price: [59, 699] },
  { prefix: 'HWR', names: ['Padlock 40mm', 'Paint Roller 225mm', 'Cordless Drill 18V', 'Screwdriver Set 12pc', 'Tape Measure 5m'], price: [39, 1999] },
  { prefix: 'TEA', names: ['Rooibos Tea 80s', 'Honeybush Tea 40s', 'Filter Coffee 250g'], price: [39, 129] },
  { prefix: 'SPI', names: ['Boerewors Spice 200g', 'Braai Salt 400g', 'Peri-Peri Sauce 250ml', 'Fruit Chutney 470g'], price: [24, 79] },
  { prefix: 'BIL', names: ['Biltong Slicer', 'Biltong Box Dryer', 'Droewors Hooks 10pc'], price: [89, 899] },
  { prefix: 'CLN', names: ['Dishwashing Liquid 750ml', 'Microfibre Cloths 6pk', 'Mop and Bucket Set', 'Laundry Basket'], price: [29, 349] },
];

const BRANDS = ['Karoo', 'Highveld', 'Boland', 'Kalahari', 'Drakensberg', 'Bushveld', 'Lowveld', 'Namaqua', 'Cape Point', 'Tugela', 'Outeniqua', 'Waterberg'];

const ODD_STATUSES = [' active ', 'Active', 'active', 'delete ', ' Ignore', 'Delete'];

/** Ways real records go wrong; each malformed record gets the next one. */
const MALFORMATIONS: Array<(item: OmniStockItem) => OmniStockItem> = [
  (item) => ({ ...item, SELLINGPRICE1: 'abc' }),
  ({ DESCRIPTION: _missing, ...rest }) => rest,
  (item) => ({ ...item, OAvailable: 'twelve' }),
  (item) => ({ ...item, DESCRIPTION: '   ' }),
];

/** `size` records (one is the SHIP service item), the same for the same seed; `malformed` of them broken. */
export function generateOmniCatalog(size: number, seed: number, malformed = 0): GeneratedCatalog<OmniStockItem> {
  if (size <= 0) return { items: [], malformedCodes: [] };
  const random = createRandom(seed);
  const items: OmniStockItem[] = [];
  for (let i = 1; i < size; i++) items.push(stockItem(random, i));
  const malformedCodes: string[] = [];
  distinctIndexes(random, items.length, malformed).forEach((index, n) => {
    const broken = (MALFORMATIONS[n % MALFORMATIONS.length] as (typeof MALFORMATIONS)[number])(items[index] as OmniStockItem);
    items[index] = broken;
    malformedCodes.push(broken.STOCKCODE);
  });
  items.push({ ...OMNI_SHIPPING_ITEM });
  return { items, malformedCodes: malformedCodes.sort() };
}

function stockItem(random: Random, sequence: number): OmniStockItem {
  const line = random.pick(PRODUCT_LINES);
  return {
    STOCKCODE: `${line.prefix}-${String(sequence).padStart(6, '0')}`,
    DESCRIPTION: `${random.pick(BRANDS)} ${random.pick(line.names)}`,
    EXTRADTLS8: status(random),
    SELLINGPRICE1: shelfPrice(random, line.price[0], line.price[1]),
    OAvailable: available(random),
  };
}

function status(random: Random): string {
  const roll = random.next();
  if (roll < 0.84) return 'ACTIVE';
  if (roll < 0.91) return 'DELETE';
  if (roll < 0.96) return 'IGNORE';
  return random.pick(ODD_STATUSES);
}

function available(random: Random): number {
  const roll = random.next();
  if (roll < 0.06) return -random.int(1, 12);
  if (roll < 0.18) return 0;
  return random.int(1, 250);
}
