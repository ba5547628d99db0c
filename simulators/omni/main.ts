/** `npm run sim:omni -- --port 8080 --items 5000`: Omni Accounts' OmniWebServiceREST, simulated. */
import { resolve } from 'node:path';
import { itemsArg, listArg, numberArg, parseCli, runSimulatorMain, stringArg } from '../lib/cli';
import { OMNI_DEFAULTS, startOmniSimulator } from './server';
import type { OmniStockItem } from './types';

const args = parseCli('npm run sim:omni --', {
  items: { type: 'string', description: `stock items to generate (default ${OMNI_DEFAULTS.items}), or a JSON file of records` },
  malformed: { type: 'string', description: 'generated records to break on purpose (default 0)' },
  user: { type: 'string', description: `Omni user name (default ${OMNI_DEFAULTS.userName})` },
  password: { type: 'string', description: `Omni password (default ${OMNI_DEFAULTS.password})` },
  company: { type: 'string', description: `company name (default "${OMNI_DEFAULTS.companyName}")` },
  customers: { type: 'string', description: `known customer accounts, comma-separated (default ${OMNI_DEFAULTS.customers.join(',')})` },
  warehouses: { type: 'string', description: `known warehouses, the first the default (default ${OMNI_DEFAULTS.warehouses.join(',')})` },
  data: { type: 'string', description: 'directory keeping the sales orders across restarts (default: memory only)' },
});
const dataDir = typeof args.data === 'string' ? resolve(args.data) : undefined;

void runSimulatorMain(
  () =>
    startOmniSimulator({
      port: numberArg(args, 'port', OMNI_DEFAULTS.port),
      host: stringArg(args, 'host', '127.0.0.1'),
      seed: numberArg(args, 'seed', 1),
      items: itemsArg<OmniStockItem>(args, OMNI_DEFAULTS.items),
      malformed: numberArg(args, 'malformed', 0),
      userName: stringArg(args, 'user', OMNI_DEFAULTS.userName),
      password: stringArg(args, 'password', OMNI_DEFAULTS.password),
      companyName: stringArg(args, 'company', OMNI_DEFAULTS.companyName),
      customers: listArg(args, 'customers') ?? OMNI_DEFAULTS.customers,
      warehouses: listArg(args, 'warehouses') ?? OMNI_DEFAULTS.warehouses,
      ...(dataDir ? { dataDir } : {}),
    }),
  (omni) =>
    `Omni Accounts simulator listening on ${omni.url} (${omni.catalog().length} stock items; ` +
    `UserName=${stringArg(args, 'user', OMNI_DEFAULTS.userName)}, CompanyName="${stringArg(args, 'company', OMNI_DEFAULTS.companyName)}"; ` +
    `${omni.orders().length} sales orders held${dataDir ? `, kept in ${dataDir}` : ', in memory'})`,
);
