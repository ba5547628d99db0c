import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConnectionSchema,
  DomainValidationError,
  SOURCE_MAPPINGS,
  connectionTaskQueue,
  mapOrderForSource,
  parseConnection,
  productSyncScheduleId,
  productSyncWorkflowId,
  raiseOrderWorkflowId,
} from '../../domain';
import { isyncConnection, omniConnection, sampleOrder } from './fixtures';
import { requestLimitsOfThisProcess } from '../../activities';
import { secretValuesOf } from '../../config/config';

describe('connection defaults per source kind', () => {
  test('Omni: every 3 minutes, pages of 1000', () => {
    const connection = omniConnection();
    assert.equal(connection.syncIntervalMinutes, 3);
    assert.equal(connection.pageSize, 1000);
  });

  test('iSync: hourly, pages of 100', () => {
    const connection = isyncConnection();
    assert.equal(connection.syncIntervalMinutes, 60);
    assert.equal(connection.pageSize, 100);
  });

  test('shared defaults', () => {
    for (const connection of [omniConnection(), isyncConnection()]) {
      assert.equal(connection.orderRetryDays, 3);
      assert.equal(connection.removedProducts, 'report');
      assert.deepEqual(connection.requestLimits, { maxConcurrent: 4, perSecond: 20 });
    }
  });

  test('settings defaults', () => {
    const { settings } = isyncConnection();
    assert.equal(settings.param_default_tax_code, '0');
    assert.equal(settings.param_default_tax_code_exempt, '0');
    assert.equal(settings.param_default_tax_code_shipping, '0');
    assert.equal(settings.param_use_channel_order_code, false);
    assert.equal(settings.param_order_line_item, 'ProductStockID');
    assert.equal(settings.shipping_cn_type_id, 4);
    assert.equal(settings.create_order, true);
    assert.equal(settings.param_default_customer_code, undefined);
  });

  test('settings may be left out entirely', () => {
    const connection = isyncConnection(undefined, { settings: undefined });
    assert.equal(connection.settings.create_order, true);
  });

  test('Omni page size may not exceed 1000', () => {
    assert.throws(() => omniConnection({}, { pageSize: 1001 }));
    assert.equal(omniConnection({}, { pageSize: 250 }).pageSize, 250);
  });

  test('explicit values win over defaults', () => {
    const connection = omniConnection({ create_order: false, shipping_cn_type_id: '7' }, { syncIntervalMinutes: 10, removedProducts: 'deactivate' });
    assert.equal(connection.syncIntervalMinutes, 10);
    assert.equal(connection.removedProducts, 'deactivate');
    assert.equal(connection.settings.create_order, false);
    assert.equal(connection.settings.shipping_cn_type_id, 7);
  });
});

describe('connection validation', () => {
  test('credentialsRef holds environment variable names, matched to the source kind', () => {
    const input = {
      id: 'acme',
      sourceKind: 'isync',
      name: 'Acme',
      endpoint: 'https://isync.example.com/',
      credentialsRef: { username: 'ACME_USER', password: 'ACME_PASS' },
      stock2shop: { sourceId: 1, credentialsRef: { token: 'S2S_TOKEN' } },
    };
    assert.equal(ConnectionSchema.safeParse(input).success, true);
    // the Omni credential set is not an iSync credential set
    assert.equal(ConnectionSchema.safeParse({ ...input, credentialsRef: omniConnection().credentialsRef }).success, false);
    // a secret in place of a variable name is refused
    const withSecret = { ...input, credentialsRef: { username: 'ACME_USER', password: 'hunter2!' } };
    const error = (() => {
      try {
        parseConnection(withSecret);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof DomainValidationError);
    assert.equal(error.field, 'credentialsRef.password');
    assert.match(error.message, /^Connection acme: credentialsRef\.password: must be the name of an environment variable/);
  });

  test('id must be a slug', () => {
    assert.throws(() => isyncConnection({}, { id: 'Acme Corp' }));
    assert.throws(() => isyncConnection({}, { id: 'acme/omni' }));
  });

  test('endpoint must be an http(s) URL', () => {
    assert.throws(() => isyncConnection({}, { endpoint: 'not a url' }));
    assert.throws(() => isyncConnection({}, { endpoint: 'ftp://example.com' }));
  });

  test('sourceKind must be omni or isync', () => {
    assert.equal(ConnectionSchema.safeParse({ ...omniConnection(), sourceKind: 'sage' }).success, false);
  });

  test('param_order_line_item accepts only ProductStockID or ThirdPartyBarcode', () => {
    assert.throws(() => isyncConnection({ param_order_line_item: 'Barcode' }));
    assert.equal(isyncConnection({ param_order_line_item: 'ThirdPartyBarcode' }).settings.param_order_line_item, 'ThirdPartyBarcode');
  });
});

describe('connection names: task queues, schedule and workflow ids', () => {
  test("Omni activities run on the connection's own agent queue", () => {
    assert.equal(connectionTaskQueue(omniConnection()), 'omni/acme-omni');
  });
  test('iSync activities run on their own queue, beside the central worker', () => {
    assert.equal(connectionTaskQueue(isyncConnection()), 'isync');
  });
  test('product sync schedule and workflow ids', () => {
    assert.equal(productSyncScheduleId('acme-omni'), 'product-sync/acme-omni');
    assert.equal(productSyncWorkflowId('acme-omni'), 'product-sync/acme-omni');
  });
  test('raise order workflow id', () => {
    assert.equal(raiseOrderWorkflowId('acme-omni', 'WEB-1001'), 'raise-order/acme-omni/WEB-1001');
  });
});

describe('source registry', () => {
  test("mapOrderForSource picks the mapping of the connection's source kind", () => {
    const omniDocument = mapOrderForSource(omniConnection(), sampleOrder());
    assert.ok('customer_account_code' in omniDocument);
    const isyncDocument = mapOrderForSource(isyncConnection(), sampleOrder());
    assert.ok('PONumber' in isyncDocument);
    assert.equal(SOURCE_MAPPINGS.omni.productActiveField, 'EXTRADTLS8');
    assert.equal(SOURCE_MAPPINGS.isync.productActiveField, 'WebSale');
  });
});

describe('request limits across central workers', () => {
  test("each of N central workers applies 1/N of a cloud source's limits; an Omni agent (one per connection) applies them whole", () => {
    const isync = { ...isyncConnection(), requestLimits: { maxConcurrent: 4, perSecond: 20 } };
    assert.deepEqual(requestLimitsOfThisProcess(isync, 1), { maxConcurrent: 4, perSecond: 20 });
    assert.deepEqual(requestLimitsOfThisProcess(isync, 4), { maxConcurrent: 1, perSecond: 5 });
    assert.deepEqual(requestLimitsOfThisProcess(isync, 8), { maxConcurrent: 1, perSecond: 2.5 }, 'never below one request in flight');
    const omni = { ...omniConnection(), requestLimits: { maxConcurrent: 4, perSecond: 20 } };
    assert.deepEqual(requestLimitsOfThisProcess(omni, 4), { maxConcurrent: 4, perSecond: 20 });
  });

  test("the database URL's password is one of the secrets scrubbed from logs", () => {
    const secrets = secretValuesOf([], { DATABASE_URL: 'postgres://engine:s3cr%40t-pw@db.example:5432/engine', DATA_DIR: '/nonexistent/data' });
    assert.deepEqual(secrets, ['s3cr@t-pw']);
  });
});
