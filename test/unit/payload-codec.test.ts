import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, KeyRingError, generateKeyRingText, parseKeyRing } from '../../temporal/payload-codec';
import { isRefusedPayload, REFUSED_PAYLOAD_FIELD } from '../../contracts/refused-payload';

const customer = 'Thandiwe Nkosi-van der Merwe';
const samples = (): Payload[] => [
  defaultPayloadConverter.toPayload({ customer: { name: customer, email: 'thandiwe@example.co.za' }, total: 349.99 }),
  defaultPayloadConverter.toPayload(`Deliver to ${customer}`),
  defaultPayloadConverter.toPayload(null),
  defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 2, 255])),
];

const keyText = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const plain = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const meta = (payload: Payload, key: string) => Buffer.from(payload.metadata?.[key] ?? []).toString('utf8');

describe('EncryptionCodec', () => {
  test('round trips payloads, and the encoded bytes hold no personal data', async () => {
    const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText('k1')));
    const encoded = await codec.encode(samples());
    assert.equal(encoded.length, 4);
    for (const payload of encoded) {
      assert.equal(meta(payload, 'encoding'), 'binary/encrypted');
      assert.equal(meta(payload, 'encryption-key-id'), 'k1');
      const bytes = Buffer.from(payload.data!);
      assert.ok(!bytes.includes(customer), 'the name is not in the ciphertext');
      assert.ok(!bytes.includes('json/plain'), 'nor is the original encoding');
    }
    const decoded = await codec.decode(encoded);
    assert.deepEqual(decoded.map(plain), samples().map(plain));
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded[0]!), { customer: { name: customer, email: 'thandiwe@example.co.za' }, total: 349.99 });
  });

  test('two encodes of the same payload differ (a fresh nonce each time)', async () => {
    const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText()));
    const [a] = await codec.encode([samples()[0]!]);
    const [b] = await codec.encode([samples()[0]!]);
    assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
    assert.notDeepEqual(Buffer.from(a!.data!).subarray(0, 12), Buffer.from(b!.data!).subarray(0, 12));
  });

  test('key rotation: old data decodes with the new ring, new data uses the new key', async () => {
    const old = keyText('old');
    const before = await new EncryptionCodec(parseKeyRing(old)).encode(samples());
    const rotated = new EncryptionCodec(parseKeyRing(`${keyText('new')},${old}`));
    assert.deepEqual((await rotated.decode(before)).map(plain), samples().map(plain));
    const after = await rotated.encode(samples());
    assert.ok(after.every((payload) => meta(payload, 'encryption-key-id') === 'new'));
    assert.deepEqual((await rotated.decode(after)).map(plain), samples().map(plain));
  });

  test('a ring without the key fails, naming the key id', async () => {
    const encoded = await new EncryptionCodec(parseKeyRing(keyText('retired-2024'))).encode(samples());
    const other = keyText('current');
    await assert.rejects(new EncryptionCodec(parseKeyRing(other)).decode(encoded), (error: Error) => {
      assert.match(error.message, /retired-2024/);
      assert.match(error.message, /key ring lacks/);
      assert.ok(!error.message.includes(other.split(':')[1]!));
      return true;
    });
  });

  test('a tampered byte is refused, never decoded, and reported as a security event', async () => {
    const reports: string[] = [];
    const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText('k1')), (sentence) => reports.push(sentence));
    const context = { type: 'workflow', namespace: 'default', workflowId: 'raise-order/acme/WEB-1' } as const;
    const [encoded] = await codec.encode([samples()[0]!], context);
    for (const index of [0, 20, encoded!.data!.length - 1]) {
      const data = Buffer.from(encoded!.data!);
      data[index]! ^= 0x01;
      assert.deepEqual(
        refusalOf(await codec.decode([{ ...encoded!, data }], context)),
        'not encrypted with the key it names for the owner it names (key "k1")',
      );
    }
    assert.deepEqual(refusalOf(await codec.decode([{ ...encoded!, data: Buffer.alloc(5) }], context)), 'too short to be ciphertext (key "k1")');
    assert.equal(reports.length, 4);
    assert.equal(
      reports[0],
      'security: refused a payload that was not encrypted with the key it names for the owner it names (key "k1") (workflow raise-order/acme/WEB-1)',
    );
  });

  test('a payload that is not encrypted is refused: what anyone with namespace access could send never decodes into input', async () => {
    const reports: string[] = [];
    const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText()), (sentence) => reports.push(sentence));
    const activity = { type: 'activity', namespace: 'default', activityId: '3', workflowId: 'raise-order/acme/WEB-1', isLocal: false } as const;
    const decoded = await codec.decode(samples(), activity);
    assert.equal(decoded.length, samples().length);
    for (const payload of decoded) assert.equal(refusalOf([payload]), 'not encrypted');
    assert.equal(refusalOf(await codec.decode([{}])), 'not encrypted');
    assert.equal(reports[0], 'security: refused a payload that was not encrypted (activity 3 of workflow raise-order/acme/WEB-1)');
    assert.equal(reports.at(-1), 'security: refused a payload that was not encrypted (no workflow or activity named)');
  });
});

describe('a key ring per connection', () => {
  const rings = { central: 'central-1', acme: 'acme-1', bravo: 'bravo-1' } as const;
  const ring = (id: string) => parseKeyRing(generateKeyRingText(id));
  const [central, acme, bravo] = [ring(rings.central), ring(rings.acme), ring(rings.bravo)];
  const everyRing = {
    central,
    byConnection: new Map([
      ['acme', acme],
      ['bravo', bravo],
    ]),
  };
  const ofWorkflow = (workflowId: string) => ({ type: 'workflow', namespace: 'default', workflowId }) as const;
  const ofActivity = (workflowId: string) => ({ type: 'activity', namespace: 'default', workflowId, activityId: '1', isLocal: false }) as const;
  const reports: string[] = [];
  const centralCodec = new EncryptionCodec(everyRing, (sentence) => reports.push(sentence));
  const acmeAgent = new EncryptionCodec({ byConnection: new Map([['acme', acme]]) }, (sentence) => reports.push(sentence));

  test("a payload takes its connection's ring, a scheduled run's too, and the agent of that connection decodes it", async () => {
    const [input] = await centralCodec.encode([samples()[0]!], ofActivity('raise-order/acme/WEB-1'));
    assert.equal(Buffer.from(input!.metadata!['encryption-key-id']!).toString(), rings.acme);
    assert.deepEqual((await acmeAgent.decode([input!], ofActivity('raise-order/acme/WEB-1'))).map(plain), [plain(samples()[0]!)]);
    const [scheduled] = await centralCodec.encode([samples()[1]!], ofWorkflow('product-sync/acme'));
    assert.deepEqual((await centralCodec.decode([scheduled!], ofWorkflow('product-sync/acme-2026-12-03T11:00:00Z'))).map(plain), [plain(samples()[1]!)]);
    const [own] = await centralCodec.encode([samples()[0]!], ofWorkflow('pass-check'));
    assert.equal(Buffer.from(own!.metadata!['encryption-key-id']!).toString(), rings.central);
  });

  test("one client's agent decodes nothing of another client's, with or without a context", async () => {
    reports.length = 0;
    const [bravoPayload] = await centralCodec.encode([samples()[0]!], ofWorkflow('raise-order/bravo/WEB-2'));
    for (const context of [ofWorkflow('raise-order/bravo/WEB-2'), undefined]) {
      assert.equal(refusalOf(await acmeAgent.decode([bravoPayload!], context)), 'encrypted for connection bravo, whose keys this process does not hold');
    }
    // Nor can it encode for another client: it holds no key for one.
    await assert.rejects(acmeAgent.encode([samples()[0]!], ofActivity('raise-order/bravo/WEB-2')), /holds no payload key for connection bravo/);
    assert.equal(reports.length, 2);
  });

  test("what an agent writes without a context (a Nexus handler's refusal) is its own client's: it never fails to answer", async () => {
    const [refusal] = await acmeAgent.encode([samples()[0]!]);
    assert.equal(Buffer.from(refusal!.metadata!['encryption-owner']!).toString(), 'acme');
    // The central side reads it in the context of acme's order.
    assert.deepEqual((await centralCodec.decode([refusal!], ofWorkflow('raise-order/acme/WEB-1'))).map(plain), [plain(samples()[0]!)]);
    // The central side, holding every ring, still writes such a payload as its own.
    const [central] = await centralCodec.encode([samples()[0]!]);
    assert.equal(Buffer.from(central!.metadata!['encryption-owner']!).toString(), '*');
  });

  test("an agent's payload never passes for another client's: moved, relabelled or made with its own key", async () => {
    reports.length = 0;
    const [acmeResult] = await acmeAgent.encode([samples()[0]!], ofActivity('raise-order/acme/WEB-1'));
    // Handed to a workflow of bravo as it is: its owner is acme.
    assert.equal(
      refusalOf(await centralCodec.decode([acmeResult!], ofActivity('raise-order/bravo/WEB-2'))),
      'encrypted for connection acme, handed to connection bravo',
    );
    // Relabelled as bravo's: acme's key is not bravo's.
    const relabelled = { ...acmeResult!, metadata: { ...acmeResult!.metadata, 'encryption-owner': Buffer.from('bravo') } };
    assert.equal(
      refusalOf(await centralCodec.decode([relabelled], ofActivity('raise-order/bravo/WEB-2'))),
      `encrypted with key "${rings.acme}" of another client`,
    );
    // Relabelled as acme's, with a central key id: the owner is bound into the ciphertext.
    const [centralPayload] = await centralCodec.encode([samples()[0]!], ofWorkflow('pass-check'));
    const moved = { ...centralPayload!, metadata: { ...centralPayload!.metadata, 'encryption-owner': Buffer.from('acme') } };
    assert.match(
      refusalOf(await centralCodec.decode([moved], ofWorkflow('raise-order/acme/WEB-1'))) ?? '',
      /^not encrypted with the key it names for the owner it names/,
    );
    assert.equal(reports.length, 3);
  });

  test('payloads written before rings were per connection still decode with the central ring, on the central side only', async () => {
    // As the codec wrote them then: no owner in the metadata, none bound into the ciphertext.
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', central.keys.get(rings.central)!, nonce);
    const data = Buffer.concat([nonce, cipher.update(temporal.api.common.v1.Payload.encode(samples()[0]!).finish()), cipher.final(), cipher.getAuthTag()]);
    const withoutOwner = [{ metadata: { encoding: Buffer.from('binary/encrypted'), 'encryption-key-id': Buffer.from(rings.central) }, data }];
    assert.deepEqual((await centralCodec.decode(withoutOwner, ofWorkflow('raise-order/acme/WEB-1'))).map(plain), [plain(samples()[0]!)]);
    assert.ok(refusalOf(await acmeAgent.decode(withoutOwner, ofWorkflow('raise-order/acme/WEB-1'))));
  });
});

/** What a decoded payload says it is in place of, when it is the codec's refusal. */
function refusalOf(payloads: Payload[]): string | undefined {
  const value: unknown = defaultPayloadConverter.fromPayload(payloads[0]!);
  return isRefusedPayload(value) ? value[REFUSED_PAYLOAD_FIELD] : undefined;
}

describe('key ring', () => {
  test('parses several keys; the first is current', () => {
    const ring = parseKeyRing(` ${keyText('a.1')} , ${keyText('b_2-x')}`);
    assert.equal(ring.currentId, 'a.1');
    assert.deepEqual([...ring.keys.keys()], ['a.1', 'b_2-x']);
    assert.ok([...ring.keys.values()].every((key) => key.length === 32));
  });

  test('generateKeyRingText makes a fresh demo key named after the date', () => {
    const text = generateKeyRingText();
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    assert.match(text, new RegExp(`^demo-${today}:[A-Za-z0-9+/]{43}=$`));
    assert.notEqual(text, generateKeyRingText());
    assert.equal(parseKeyRing(text).currentId, `demo-${today}`);
  });

  const secret = randomBytes(32).toString('base64');
  const short = randomBytes(16).toString('base64');
  const cases: [string, string, RegExp, string[]][] = [
    ['empty', '', /empty/, []],
    ['empty entry', `a:${secret},`, /entry 2 is empty/, [secret]],
    ['no id', secret, /entry 1 has no "<id>:" prefix/, [secret]],
    ['bad id', `bad id!:${secret}`, /entry 1 has an invalid key id/, [secret, 'bad id!']],
    ['id too long', `${'x'.repeat(65)}:${secret}`, /entry 1 has an invalid key id/, [secret]],
    ['not base64', `a:${secret},b:not*base64!`, /entry 2 \(id "b"\) is not valid base64/, [secret, 'not*base64']],
    ['wrong length', `a:${short}`, /entry 1 \(id "a"\) is 16 bytes long; keys must be 32 bytes/, [short]],
    ['duplicate id', `a:${secret},a:${randomBytes(32).toString('base64')}`, /entry 2 repeats key id "a"/, [secret]],
  ];
  for (const [name, text, message, secrets] of cases) {
    test(`parseKeyRing rejects: ${name}`, () => {
      assert.throws(
        () => parseKeyRing(text),
        (error: Error) => {
          assert.ok(error instanceof KeyRingError);
          assert.equal(error.name, 'KeyRingError');
          assert.match(error.message, message);
          for (const s of secrets) assert.ok(!error.message.includes(s), `the message holds no key material: ${error.message}`);
          return true;
        },
      );
    });
  }
});
