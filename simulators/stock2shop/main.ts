/** `npm run sim:stock2shop -- --port 8082 --data .data/stock2shop`: Stock2Shop, simulated. */
import { resolve } from 'node:path';
import { listArg, numberArg, parseCli, runSimulatorMain, stringArg } from '../lib/cli';
import { STOCK2SHOP_DEFAULTS, startStock2ShopSimulator } from './server';

const args = parseCli('npm run sim:stock2shop --', {
  data: { type: 'string', description: `directory keeping received products and orders (default ${STOCK2SHOP_DEFAULTS.dataDir})` },
  token: { type: 'string', description: `API token (default ${STOCK2SHOP_DEFAULTS.token})` },
  tokens: { type: 'string', description: 'more API tokens, comma-separated (e.g. one per source)' },
  webhook: { type: 'string', description: 'URL new orders are POSTed to (default none)' },
  'webhook-secret': { type: 'string', description: 'signs webhook deliveries (HMAC-SHA256; default unsigned)' },
});

const dataDir = resolve(stringArg(args, 'data', STOCK2SHOP_DEFAULTS.dataDir));
const webhookUrl = typeof args.webhook === 'string' ? args.webhook : undefined;
const webhookSecret = typeof args['webhook-secret'] === 'string' ? args['webhook-secret'] : undefined;
const tokens = listArg(args, 'tokens');

void runSimulatorMain(
  () =>
    startStock2ShopSimulator({
      port: numberArg(args, 'port', STOCK2SHOP_DEFAULTS.port),
      host: stringArg(args, 'host', '127.0.0.1'),
      seed: numberArg(args, 'seed', 1),
      // The default token only when neither --token nor --tokens is given (as from code).
      ...(typeof args.token === 'string' ? { token: args.token } : {}),
      ...(tokens ? { tokens } : {}),
      dataDir,
      ...(webhookUrl ? { webhookUrl } : {}),
      ...(webhookSecret ? { webhookSecret } : {}),
    }),
  (stock2shop) =>
    `Stock2Shop simulator listening on ${stock2shop.url} (data in ${dataDir}; ` +
    `${stock2shop.receivedProducts().length} products and ${stock2shop.orders().length} orders held; webhook ${webhookUrl ?? 'none'}${webhookSecret ? ', signed' : ''})`,
);
