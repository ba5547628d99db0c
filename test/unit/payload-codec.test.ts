import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, KeyRingError, generateKeyRingText, parseKeyRing } from '../../temporal/payload-codec';

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

  test('a tampered byte fails to decrypt', async () => {
    const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText('k1')));
    const [encoded] = await codec.encode([samples()[0]!]);
    for (const index of [0, 20, encoded!.data!.length - 1]) {
      const data = Buffer.from(encoded!.data!);
      data[index]! ^= 0x01;
      await assert.rejects(codec.decode([{ ...encoded!, data }]), /could not be decrypted with key "k1"/);
    }
    await assert.rejects(codec.decode([{ ...encoded!, data: Buffer.alloc(5) }]), /could not be decrypted with key "k1"/);
  });

  test('payloads that are not encrypted pass through decode unchanged', async () => {
    const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText()));
    const unencrypted = samples();
    const decoded = await codec.decode(unencrypted);
    unencrypted.forEach((payload, i) => assert.equal(decoded[i], payload));
    assert.deepEqual(await codec.decode([{}]), [{}]);
  });
});

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
