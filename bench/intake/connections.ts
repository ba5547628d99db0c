/** The bench's 300 iSync connections, sources 1000…1299, each with a webhook secret of its own (in the intake's and the callers' env). */
import { parseConnection, type Connection } from '../../domain';

export const BENCH_SOURCES = 300;
export const FIRST_SOURCE_ID = 1000;

export const benchSecretOf = (index: number): string => `bench-webhook-secret-${index}-${'s'.repeat(32)}`;

export function benchConnections(): Connection[] {
  return Array.from({ length: BENCH_SOURCES }, (_, index) =>
    parseConnection({
      id: `bench-${index}`,
      name: `Bench ${index} (iSync)`,
      sourceKind: 'isync',
      endpoint: 'http://127.0.0.1:1',
      credentialsRef: { username: 'BENCH_USER', password: 'BENCH_PASSWORD' },
      stock2shop: { sourceId: FIRST_SOURCE_ID + index, credentialsRef: { token: 'BENCH_S2S_TOKEN', webhookSecret: `BENCH_WEBHOOK_SECRET_${index}` } },
      settings: { param_shipping_code: 'SHIP' },
    }),
  );
}
