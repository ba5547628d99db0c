/**
 * Customer sync: supported by neither source. Stock2Shop does not sync customers from iSync or
 * Omni Accounts and has no plans to; customers are imported by hand in the Stock2Shop console.
 */
import type { SourceKind } from './connection';

/** Stock2Shop's help article on importing customers by hand. */
export const CUSTOMER_IMPORT_HELP = '/help/how-it-works-customer-import';

export const CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE =
  'Customer sync is not supported: neither iSync nor Omni Accounts supports syncing customers to Stock2Shop, ' +
  'and there are no plans to build it. Import customers by hand in the Stock2Shop console ' +
  `(see "how-it-works-customer-import": ${CUSTOMER_IMPORT_HELP}).`;

/** Thrown (or returned) when anyone asks to sync customers from a source. */
export class CustomerSyncNotSupportedError extends Error {
  override readonly name = 'CustomerSyncNotSupportedError';
  readonly sourceKind: SourceKind | undefined;

  constructor(sourceKind?: SourceKind) {
    super(CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE);
    this.sourceKind = sourceKind;
  }
}

/** The answer to "can customers be synced from this source?" — always no, with what to do instead. */
export interface CustomerSyncSupport {
  sourceKind: SourceKind;
  supported: false;
  message: string;
  manualImportHelp: string;
}

export function customerSyncSupport(sourceKind: SourceKind): CustomerSyncSupport {
  return {
    sourceKind,
    supported: false,
    message: CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE,
    manualImportHelp: CUSTOMER_IMPORT_HELP,
  };
}
