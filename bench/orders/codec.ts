/** The payload codec's cost per order: the engine's payload path timed in this process, after the rows. */
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { PreparedOrder } from '../../contracts/activities';
import { EncryptionCodec, parseKeyRing } from '../../temporal/payload-codec';
import { linesFor, placeOrder, type Run } from './kit';
import { quietLogger } from './pipeline';
import type { HistoryFigures } from './histories';

export interface CodecCost {
  preparedOrderBytes: number;
  /** µs for one toPayload + encrypt + decrypt + fromPayload of a prepared order, and of a small input. */
  preparedOrderMicros: number;
  smallMicros: number;
}

/** Times the engine's payload path (JSON payload converter + AES-GCM codec) on this machine, in this process. */
export async function codecCost(run: Run): Promise<CodecCost> {
  const connection = run.stack.connection('omni-raised');
  const code = 'CODEC-1';
  placeOrder(run, connection, code, linesFor(run, 1));
  const prepared: PreparedOrder = await new MockActivityEnvironment({ activityType: 'prepareOrder' }, { logger: quietLogger }).run(
    run.rawActivities.prepareOrder,
    { connectionId: connection.id, channelOrderCode: code },
  );
  const codec = new EncryptionCodec(parseKeyRing(run.stack.keyText));
  const roundTrip = async (value: unknown, times: number) => {
    const once = async () => {
      const [p] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
      defaultPayloadConverter.fromPayload((await codec.decode([p!]))[0]!);
    };
    for (let i = 0; i < 200; i += 1) await once();
    const t = performance.now();
    for (let i = 0; i < times; i += 1) await once();
    return ((performance.now() - t) * 1000) / times;
  };
  const payload: Payload = defaultPayloadConverter.toPayload(prepared);
  return {
    preparedOrderBytes: payload.data?.length ?? 0,
    preparedOrderMicros: await roundTrip(prepared, 2000),
    smallMicros: await roundTrip({ connectionId: connection.id, channelOrderCode: code }, 2000),
  };
}

/** "Where the time goes": the codec's share of an order, from the payloads its raiseOrder history holds. */
export function codecMarkdown(c: CodecCost, h: HistoryFigures): string {
  return (
    `- Payload codec (JSON + AES-256-GCM, timed in the bench process): ${c.preparedOrderMicros.toFixed(0)} µs per encode + decode of a prepared order (${c.preparedOrderBytes} bytes), ` +
    `${c.smallMicros.toFixed(0)} µs for a small input; ${h.payloadsPerRun} payloads per run ≈ ${((h.payloadsPerRun * c.smallMicros + c.preparedOrderMicros) / 1000).toFixed(1)} ms per order in all processes together.`
  );
}
