/** `npm run sim:isync -- --port 8081 --items 5000`: iSync's message service, simulated. */
import { resolve } from 'node:path';
import { itemsArg, numberArg, parseCli, runSimulatorMain, stringArg } from '../lib/cli';
import { ISYNC_DEFAULTS, startISyncSimulator } from './server';
import type { ISyncProduct } from './types';

const args = parseCli('npm run sim:isync --', {
  items: { type: 'string', description: `SKUs to generate (default ${ISYNC_DEFAULTS.items}), or a JSON file of records` },
  malformed: { type: 'string', description: 'generated records to break on purpose (default 0)' },
  user: { type: 'string', description: `iSync user name or email (default ${ISYNC_DEFAULTS.userName})` },
  password: { type: 'string', description: `iSync password (default ${ISYNC_DEFAULTS.password})` },
  company: { type: 'string', description: `company name Ping answers (default "${ISYNC_DEFAULTS.company}")` },
  data: { type: 'string', description: 'directory keeping the orders across restarts (default: memory only)' },
});
const dataDir = typeof args.data === 'string' ? resolve(args.data) : undefined;

void runSimulatorMain(
  () =>
    startISyncSimulator({
      port: numberArg(args, 'port', ISYNC_DEFAULTS.port),
      host: stringArg(args, 'host', '127.0.0.1'),
      seed: numberArg(args, 'seed', 1),
      items: itemsArg<ISyncProduct>(args, ISYNC_DEFAULTS.items),
      malformed: numberArg(args, 'malformed', 0),
      userName: stringArg(args, 'user', ISYNC_DEFAULTS.userName),
      password: stringArg(args, 'password', ISYNC_DEFAULTS.password),
      company: stringArg(args, 'company', ISYNC_DEFAULTS.company),
      ...(dataDir ? { dataDir } : {}),
    }),
  (isync) =>
    `iSync simulator listening on ${isync.url}${ISYNC_DEFAULTS.servicePath} (${isync.catalog().length} SKUs; ` +
    `UserName=${stringArg(args, 'user', ISYNC_DEFAULTS.userName)}; ${isync.orders().length} orders held${dataDir ? `, kept in ${dataDir}` : ', in memory'})`,
);
