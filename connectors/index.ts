/**
 * The connectors: HTTP clients of the outside systems behind small interfaces. Nothing here knows Temporal.
 */
import type { Connection, ISyncOrder, OmniSalesDocument } from '../domain';
import { createISyncConnector, type ISyncConnectorOptions } from './isync';
import { createOmniConnector, type OmniPaths } from './omni';
import type { SourceConnector } from './source';

export * from './errors';
export * from './redaction';
export * from './classify';
export * from './source';
export { createOmniConnector, createOmniOrderWriter, createOmniProductReader, OMNI_MAX_PAGE_SIZE, type OmniConnectorOptions, type OmniPaths } from './omni';
export {
  createISyncConnector,
  createISyncOrderWriter,
  createISyncProductReader,
  ISYNC_DEFAULT_SERVICE_PATH,
  ISYNC_MAX_PAGE_SIZE,
  type ISyncConnectorOptions,
} from './isync';
export {
  createStock2ShopClient,
  STOCK2SHOP_MAX_PUSH,
  type WaitingOrder,
  type OrdersToRaise,
  type QueueSummary,
  type Stock2ShopClient,
  type Stock2ShopClientOptions,
  type Stock2ShopPaths,
  type Stock2ShopSourceId,
} from './stock2shop';
export {
  createOrderCalls,
  resolveOrderContract,
  type Stock2ShopOrderCalls,
  type Stock2ShopOrderContract,
  type Stock2ShopOrderContractInput,
} from './stock2shop-order-contract';
export {
  KeyedQueue,
  MemorySessionCoordinator,
  Stock2ShopSession,
  supersedes,
  type SessionCoordinator,
  type SharedToken,
  type Stock2ShopLogin,
} from './stock2shop-session';
export { announcedLimit, RATE_LIMIT_HEADER, type Stock2ShopGate } from './stock2shop-calls';
export { createHttpClient, DEFAULT_TIMEOUT_MS, type HttpClientOptions } from './http';

/** A source's secrets, resolved by the caller (from the environment variables the connection names). */
export interface SourceSecrets {
  /** Omni: the Omni user; iSync: the username or email. */
  userName: string;
  password: string;
  /** Omni only (required there). */
  companyName?: string;
}

export interface SourceConnectorOverrides {
  timeoutMs?: number;
  /** Omni: resource paths. */
  omniPaths?: OmniPaths;
  /** iSync: message service path. */
  isyncServicePath?: ISyncConnectorOptions['servicePath'];
}

/** The connector of each source kind, by the document it raises. */
export interface SourceConnectorByKind {
  omni: SourceConnector<OmniSalesDocument>;
  isync: SourceConnector<ISyncOrder>;
}

/** Chooses the connector by `connection.sourceKind`; the endpoint comes from the connection, secrets from the caller. */
export function createSourceConnector<C extends Pick<Connection, 'sourceKind' | 'endpoint'>>(
  connection: C,
  secrets: SourceSecrets,
  overrides: SourceConnectorOverrides = {},
): SourceConnectorByKind[C['sourceKind']] {
  const timeout = overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs };
  switch (connection.sourceKind) {
    case 'omni': {
      if (secrets.companyName === undefined || secrets.companyName === '') {
        throw new Error('An Omni Accounts connection needs a company name');
      }
      return createOmniConnector({
        endpoint: connection.endpoint,
        userName: secrets.userName,
        password: secrets.password,
        companyName: secrets.companyName,
        ...timeout,
        ...(overrides.omniPaths === undefined ? {} : { paths: overrides.omniPaths }),
      }) as SourceConnectorByKind[C['sourceKind']];
    }
    case 'isync':
      return createISyncConnector({
        endpoint: connection.endpoint,
        userName: secrets.userName,
        password: secrets.password,
        ...timeout,
        ...(overrides.isyncServicePath === undefined ? {} : { servicePath: overrides.isyncServicePath }),
      }) as SourceConnectorByKind[C['sourceKind']];
    default: {
      const unknownKind: never = connection.sourceKind;
      throw new Error(`Unknown source kind ${String(unknownKind)}`);
    }
  }
}
