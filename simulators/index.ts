/** The three outside systems, simulated from their side; see simulators/README.md. */
export { startOmniSimulator, OMNI_DEFAULTS, type OmniSimulator, type OmniSimulatorOptions } from './omni/server';
export { generateOmniCatalog, OMNI_SHIPPING_ITEM } from './omni/catalog';
export type { OmniStockItem, OmniSalesOrder, OmniOrderLine } from './omni/types';

export { startISyncSimulator, ISYNC_DEFAULTS, type ISyncSimulator, type ISyncSimulatorOptions } from './isync/server';
export { generateISyncCatalog, ISYNC_SHIPPING_ITEM } from './isync/catalog';
export type { ISyncProduct, ISyncPriceList, ISyncOrder, ISyncOrderLine, ISyncDeliveryDetail } from './isync/types';

export {
  startStock2ShopSimulator,
  STOCK2SHOP_DEFAULTS,
  STOCK2SHOP_SIGNATURE_HEADER,
  STOCK2SHOP_TIMESTAMP_HEADER,
  type Stock2ShopSimulator,
  type Stock2ShopSimulatorOptions,
} from './stock2shop/server';
export { MAX_QUEUE_BATCH } from './stock2shop/queue-validation';
export type { ReceivedProduct, HeldOrder, WriteBack, WebhookDelivery, WebhookPayload, Stock2ShopOrder } from './stock2shop/types';

export type { SimulatorControls, ServerOptions } from './lib/server';
export type { FaultSet } from './lib/faults';
export type { RequestLogEntry, RequestOutcome } from './lib/request-log';
