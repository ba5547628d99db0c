/** The order rows' stack: its simulators and connections, its start and warm-up, a fresh one after a cut row. */
import { join } from 'node:path';
import { createActivities, type ActivityDeps } from '../../activities';
import { productStoreFromEnv } from '../../store/from-env';
import { signingKeyFromEnv } from '../../temporal/agent-grant';
import { say, startBenchStack, type BenchStack, type BenchStackOptions } from '../harness';
import { codesOf, linesFor, placeOrder, type Run } from './kit';
import { engineBurst, rawOrder } from './pipeline';

const RAISED_LIMITS = { maxConcurrent: 32, perSecond: 1000 };
const CONFINED = { agent: {} };

function stackOptions(keep: boolean, extra: Partial<BenchStackOptions> = {}): BenchStackOptions {
  return {
    label: 'orders',
    keep,
    simulators: [
      { name: 'omni', kind: 'omni', items: 100 },
      { name: 'omni-outage', kind: 'omni', items: 100 },
    ],
    // As `npm start` runs an Omni connection (config/connections.demo.json: `"agent": {}`): every
    // connection of rows 1–5 is confined, its agent in its client's own namespace and each raise a
    // Nexus operation through that namespace's endpoint.
    connections: [
      { id: 'omni-raised', kind: 'omni', sourceId: 2001, requestLimits: RAISED_LIMITS, extra: CONFINED },
      { id: 'omni-default', kind: 'omni', sourceId: 2002, extra: CONFINED },
      { id: 'omni-outage', kind: 'omni', simulator: 'omni-outage', sourceId: 2003, requestLimits: RAISED_LIMITS, extra: CONFINED },
      { id: 'omni-open', kind: 'omni', sourceId: 2004, requestLimits: RAISED_LIMITS, extra: CONFINED },
      // Row 8: the same as omni-raised on the central-queue path (its agent on its queue in the central namespace).
      { id: 'omni-central', kind: 'omni', sourceId: 2005, requestLimits: RAISED_LIMITS },
    ],
    ...extra,
  };
}

export async function newStack(run: Pick<Run, 'keep'>, extra: Partial<BenchStackOptions> = {}): Promise<{ stack: BenchStack; rawActivities: Run['rawActivities'] }> {
  const stack = await startBenchStack(stackOptions(run.keep, extra));
  const grantSigningKey = signingKeyFromEnv(stack.workerEnv);
  // The raw pipeline's dependencies, as `activityDepsFromConfig` builds them for a worker (file product store in the temp dir).
  const deps: ActivityDeps = {
    connections: () => stack.connections,
    secretsOf: stack.secretsOf,
    stock2shopFor: stack.stock2shopFor,
    productStore: productStoreFromEnv({ ...stack.workerEnv, DATA_DIR: join(stack.dir, 'raw-data') }),
    centralWorkers: 1,
    // The confined connections' grants, signed as the central worker signs them (prepareOrder's route).
    ...(grantSigningKey ? { grantSigningKey } : {}),
  };
  return { stack, rawActivities: createActivities(deps) };
}

/** Warm-up: an order through each path (connections, JIT, the workflow cache) before anything is timed. */
export async function warmUp(run: Run): Promise<void> {
  const connection = run.stack.connection('omni-raised');
  placeOrder(run, connection, 'WARM-RAW', linesFor(run, 0));
  await rawOrder(run, connection, 'WARM-RAW');
  const burst = await engineBurst(run, connection, codesOf(`WARM${run.stacksStarted}`, 10), Date.now() + 60_000);
  if (!burst.complete) throw new Error('the warm-up orders were not raised within 60 s; see the worker logs');
}

/** A fresh stack when the last row left orders in flight (or `force`). */
export async function cleanStack(run: Run, why: string, force = false): Promise<void> {
  if (!run.dirty && !force) return;
  say(`a fresh stack: ${why}`);
  await run.stack.stop();
  const { stack, rawActivities } = await newStack(run);
  run.stack = stack;
  run.rawActivities = rawActivities;
  run.dirty = false;
  run.stacksStarted += 1;
  await warmUp(run);
}
