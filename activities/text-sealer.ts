/**
 * The keys a problem's reason is sealed with before it leaves Temporal for the ledger
 * (store/sealed-problems.ts): the worker's own, the codec of the data converter it encrypts its
 * payloads with; outside a worker's activity, the key rings of the process's environment.
 */
import { Context } from '@temporalio/activity';
import type { TextSealer } from '../store/sealed-problems';
import { keyRingsFromEnvironment } from '../temporal/data-converter';
import { EncryptionCodec, encryptionCodecOf } from '../temporal/payload-codec';

let fromEnvironment: EncryptionCodec | undefined;

/** Undefined when the process holds no key: the ledger then keeps the engine's words only. */
export function workerTextSealer(): TextSealer | undefined {
  try {
    const codec = encryptionCodecOf(Context.current().client.options.loadedDataConverter.payloadCodecs);
    if (codec) return codec;
  } catch {
    // not in an activity, or in one without a client
  }
  try {
    fromEnvironment ??= new EncryptionCodec(keyRingsFromEnvironment());
    return fromEnvironment;
  } catch {
    return undefined;
  }
}
