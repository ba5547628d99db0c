/**
 * The order code policy and how a code is shown (issue 23, item 7): what channels send is accepted
 * and shown as it is; a control, bidi or invisible character, `/`, `\` or a `.`/`..` code is refused
 * naming the character; and whatever a code holds, its workflow id and its shown form hold none of it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  DeliveredOrderCodeSchema,
  DomainValidationError,
  escapeOrderCode,
  escapeUnsafeCharacters,
  lateDeliveryWorkflowId,
  orderCodeProblem,
  parseStock2ShopOrder,
  raiseOrderWorkflowId,
  unescapeOrderCode,
} from '../../domain';
import { describeOrder } from '../../client/commands/orders';
import { prepareOrderFor } from '../../activities/prepare-order';
import type { Stock2ShopClient } from '../../connectors';
import { omniConnection, sampleOrder } from './fixtures';

/** What nothing shown may hold: controls, format (bidi, invisible) characters, separators, broken surrogates. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
const BIDI = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c];

/** Characters worth mixing in: every bidi control, C0/C1 controls, invisibles, separators, path characters, lone surrogates. */
const interesting = fc.constantFrom(
  ...BIDI.map((c) => String.fromCodePoint(c)),
  '\u0000',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u200b',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u2028',
  '\u2029',
  '\u{e0041}',
  '\ud800',
  '\udfff',
  '/',
  '\\',
  '.',
  '\\u202E',
  '\\u{E0041}',
  'u',
  '{',
);
const anyCode = fc.string({
  unit: fc.oneof(interesting, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('#', '-', 'W', '1')),
  maxLength: 40,
});

/** Codes channels send (Shopify, WooCommerce with its default or a custom prefix, Magento, Amazon, Takealot, the tests'). */
const CHANNEL_CODES = [
  '#1001',
  '1001',
  'SO-1001',
  'WEB-1001',
  '100000123',
  '112-9988776-1234567',
  '123456789',
  'Woo1234',
  'WebSales-1234',
  'WC-9921',
  '#1001-A',
  'P2-CANCEL-RAISING-1',
  'SO 1001',
  'Ordre-Nº7',
];

describe('the code policy', () => {
  test('what channels send is accepted, and shown and indexed as it is', () => {
    for (const code of CHANNEL_CODES) {
      assert.equal(orderCodeProblem(code), undefined, code);
      assert.equal(escapeOrderCode(code), code);
      assert.equal(raiseOrderWorkflowId('acme-omni', code), `raise-order/acme-omni/${code}`);
    }
  });

  test('every workflow id of the replay corpus is what raiseOrderWorkflowId still gives', () => {
    const dir = join(__dirname, '..', 'histories');
    const ids = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      for (const [, id] of readFileSync(join(dir, file), 'utf8').matchAll(/"((?:raise-order|late-delivery)\/[^"]+)"/g)) ids.add(id!);
    }
    assert.ok(ids.size >= 20, `${ids.size} ids`);
    for (const id of ids) {
      const [kind, connectionId, ...rest] = id.split('/');
      const code = rest.join('/');
      const again = kind === 'raise-order' ? raiseOrderWorkflowId(connectionId!, code) : lateDeliveryWorkflowId(connectionId!, code);
      assert.equal(again, id);
    }
  });

  test('each bidi control is refused, named by its code point and as a bidi control', () => {
    for (const codePoint of BIDI) {
      const problem = orderCodeProblem(`WEB-${String.fromCodePoint(codePoint)}1001`);
      const name = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
      assert.match(problem ?? '', new RegExp(`^must not contain ${name.replace('+', '\\+')} \\(.+, a bidi control\\)$`), name);
    }
    assert.equal(orderCodeProblem('WEB-\u202e1001'), 'must not contain U+202E (right-to-left override, a bidi control)');
  });

  test('controls, invisible characters, separators, path characters and dot segments are refused', () => {
    const cases: [string, string][] = [
      ['A\u0000', 'must not contain U+0000 (a control character)'],
      ['A\u001b[31m', 'must not contain U+001B (a control character)'],
      ['A\u007f', 'must not contain U+007F (a control character)'],
      ['A\u0085', 'must not contain U+0085 (a control character)'],
      ['A\u009b', 'must not contain U+009B (a control character)'],
      ['10\u200b01', 'must not contain U+200B (zero width space, an invisible formatting character)'],
      ['1001\ufeff', 'must not contain U+FEFF (zero width no-break space, an invisible formatting character)'],
      ['A\u{e0041}', 'must not contain U+E0041 (an invisible formatting character)'],
      ['A\u2028B', 'must not contain U+2028 (a line or paragraph separator)'],
      ['A\ud800', 'must not contain U+D800 (half of a surrogate pair, not a character)'],
      ['../x', 'must not contain U+002F "/" (a path separator)'],
      ['SO/1001', 'must not contain U+002F "/" (a path separator)'],
      ['..\\x', 'must not contain U+005C "\\" (a path separator)'],
      ['..', 'must not be "." or ".." (a path segment)'],
      ['.', 'must not be "." or ".." (a path segment)'],
    ];
    for (const [code, reason] of cases) assert.equal(orderCodeProblem(code), reason, JSON.stringify(code));
    assert.equal(orderCodeProblem('1001..1002'), undefined, 'two dots inside a code are no path segment');
  });

  test('a reason never holds the character it names', () => {
    fc.assert(
      fc.property(anyCode, (code) => {
        const problem = orderCodeProblem(code);
        if (problem !== undefined) assert.doesNotMatch(problem, UNSAFE);
      }),
      { numRuns: 2000 },
    );
  });

  test('an order with such a code is refused naming the code escaped and the character', () => {
    const order = { ...sampleOrder(), channel_order_code: 'WEB-\u202e1001' };
    assert.throws(
      () => parseStock2ShopOrder(order),
      (error: unknown) =>
        error instanceof DomainValidationError &&
        error.message === 'Order WEB-\\u202E1001: channel_order_code: must not contain U+202E (right-to-left override, a bidi control)',
    );
    assert.throws(() => parseStock2ShopOrder({ ...order, channel_order_code: '../x' }), /^DomainValidationError: Order \.\.\\u002Fx: channel_order_code: /);
  });

  test('the intake and the poll may deliver any code of at most 100 characters, so its workflow can refuse it', () => {
    assert.equal(DeliveredOrderCodeSchema.parse(' WEB-\u202e1001 '), 'WEB-\u202e1001');
    assert.equal(DeliveredOrderCodeSchema.parse('A\u0000'), 'A\u0000');
    assert.equal(DeliveredOrderCodeSchema.parse(1001), '1001');
    for (const bad of ['', '   ', 'B'.repeat(101), null, { code: 1 }]) assert.equal(DeliveredOrderCodeSchema.safeParse(bad).success, false);
  });
});

describe('how any code is shown', () => {
  test('whatever a code holds, its shown form and its workflow ids hold no unsafe character, `/` or dot segment', () => {
    fc.assert(
      fc.property(anyCode, (code) => {
        const shown = escapeOrderCode(code);
        assert.doesNotMatch(shown, UNSAFE);
        assert.ok(!shown.includes('/'));
        assert.ok(shown !== '.' && shown !== '..');
        for (const id of [raiseOrderWorkflowId('acme-omni', code), lateDeliveryWorkflowId('acme-omni', code)]) {
          assert.doesNotMatch(id, UNSAFE);
          assert.equal(id.split('/').length, 3, id);
          assert.ok(!id.split('/').some((segment) => segment === '.' || segment === '..'), id);
        }
      }),
      { numRuns: 5000 },
    );
  });

  test('one id per code: escaping is undone exactly, so two codes never share a workflow', () => {
    fc.assert(
      fc.property(anyCode, (code) => assert.equal(unescapeOrderCode(escapeOrderCode(code)), code)),
      { numRuns: 5000 },
    );
    assert.notEqual(escapeOrderCode('WEB-\\u202E1001'), escapeOrderCode('WEB-\u202e1001'), 'a code that spells an escape is not the code it spells');
  });

  test('a code the policy accepts is shown unchanged', () => {
    fc.assert(
      fc.property(anyCode, (code) => {
        fc.pre(orderCodeProblem(code) === undefined);
        assert.equal(escapeOrderCode(code), code);
      }),
      { numRuns: 3000 },
    );
  });

  test('free text keeps every character but the unsafe ones, which it writes as JSON does', () => {
    fc.assert(
      fc.property(anyCode, (text) => {
        const shown = escapeUnsafeCharacters(text);
        assert.doesNotMatch(shown, UNSAFE);
        assert.equal(escapeUnsafeCharacters(shown), shown, 'idempotent');
        assert.equal(JSON.parse(`"${escapeUnsafeCharacters(JSON.stringify(text).slice(1, -1))}"`), text, 'still the same text to a JSON reader');
      }),
      { numRuns: 3000 },
    );
  });

  test('the CLI prints an order of such a code escaped', () => {
    const line = describeOrder({
      connectionId: 'acme-omni',
      channelOrderCode: 'WEB-\u202e1001',
      state: 'needs_attention',
      reason: 'Order WEB-\\u202E1001: channel_order_code: must not contain U+202E (right-to-left override, a bidi control)',
      attempts: 1,
      deliveries: { webhook: 1, poll: 0, cli: 0 },
    });
    assert.ok(line.startsWith('acme-omni/WEB-\\u202E1001: needs attention: Order WEB-\\u202E1001: channel_order_code: '), line);
    assert.doesNotMatch(line, UNSAFE);
  });
});

describe('prepareOrder refuses such a code as a bad order', () => {
  const held = new Map<string, unknown>([
    ['WEB-\u202e1001', { ...sampleOrder(), channel_order_code: 'WEB-\u202e1001', sources: [{ source_id: 57 }] }],
    ['..', { ...sampleOrder(), channel_order_code: '..' }],
  ]);
  const asked: string[] = [];
  const stock2shop = {
    getOrder: async (code: string) => {
      asked.push(code);
      return held.get(code) ?? null;
    },
  } as unknown as Stock2ShopClient;

  test('read, then refused naming the code escaped and the character: never ready to raise', async () => {
    const prepared = await prepareOrderFor(omniConnection(), { connectionId: 'acme-omni', channelOrderCode: 'WEB-\u202e1001' }, stock2shop);
    assert.equal(prepared.outcome, 'invalid');
    assert.equal(
      (prepared as { reason: string }).reason,
      'Order WEB-\\u202E1001: channel_order_code: must not contain U+202E (right-to-left override, a bidi control)',
    );
  });

  test('a code `..` is refused without asking Stock2Shop: /orders/.. would name another path', async () => {
    asked.length = 0;
    const prepared = await prepareOrderFor(omniConnection(), { connectionId: 'acme-omni', channelOrderCode: '..' }, stock2shop);
    assert.deepEqual(asked, []);
    assert.equal(prepared.outcome, 'invalid');
    assert.equal((prepared as { reason: string }).reason, 'Order \\u002E\\u002E: channel_order_code: must not be "." or ".." (a path segment)');
  });
});
