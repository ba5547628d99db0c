import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CustomerSyncNotSupportedError, customerSyncSupport } from '../../domain';

describe('customer sync', () => {
  for (const sourceKind of ['omni', 'isync'] as const) {
    test(`${sourceKind}: not supported, with what to do instead`, () => {
      const answer = customerSyncSupport(sourceKind);
      assert.equal(answer.supported, false);
      assert.equal(answer.sourceKind, sourceKind);
      assert.match(answer.message, /neither iSync nor Omni Accounts supports syncing customers to Stock2Shop/);
      assert.match(answer.message, /no plans/);
      assert.match(answer.message, /by hand in the Stock2Shop console/);
      assert.match(answer.message, /how-it-works-customer-import/);
      assert.equal(answer.manualImportHelp, '/help/how-it-works-customer-import');
    });
  }

  test('the error says the same', () => {
    const error = new CustomerSyncNotSupportedError('isync');
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'CustomerSyncNotSupportedError');
    assert.equal(error.sourceKind, 'isync');
    assert.equal(error.message, customerSyncSupport('isync').message);
  });
});
