import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { ensureTemporalBinaries } from '../../scripts/temporal-binaries';
import { dynamicConfigArgs, ENGINE_DYNAMIC_CONFIG } from '../../scripts/dev-server';
import { projectSearchAttributes } from '../../contracts/search-attributes';
import { parseKeyRing } from '../../temporal/payload-codec';
import { engineDataConverter } from '../../temporal/data-converter';

/**
 * The payload keys of the tests: workers a test spawns get the same (PAYLOAD_CODEC_KEYS).
 *
 * A TEST-ONLY key, committed on purpose and never used anywhere but the tests (generated once with
 * `generateKeyRingText('test')`). It is fixed, not generated per process, because the replay corpus
 * (test/histories/*.json, replayed by test/workflows/replay.test.ts) is encrypted with it: changing it
 * makes every committed history unreadable. Nothing real may ever be encrypted with it.
 */
export const TEST_KEY_RING_TEXT = 'test:ngXEi0NboT6JEjEOJZnDs54R4RPFu6FNmOAx/xu3oG8=';
/** Every payload the tests' clients and workers exchange is encrypted, as in production. */
export const testDataConverter = engineDataConverter(parseKeyRing(TEST_KEY_RING_TEXT));

let runtimeInstalled = false;
/** Worker lifecycle lines drown a test's own output; keep warnings and errors. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
  runtimeInstalled = true;
}

/**
 * A real Temporal dev server (the Temporal CLI's `server start-dev`), started for one test file,
 * with the project's search attributes registered.
 */
export async function startDevServer(options: { dbFilename?: string; extraArgs?: string[]; uiPort?: number } = {}): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const { cli } = ensureTemporalBinaries();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      searchAttributes: projectSearchAttributes,
      log: { format: 'pretty', level: 'error' },
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      // As `npm start` runs it: fairness on (temporal/priority.ts).
      extraArgs: [...dynamicConfigArgs(ENGINE_DYNAMIC_CONFIG), ...(options.extraArgs ?? [])],
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
    },
    client: { dataConverter: testDataConverter },
  });
}

/** The time-skipping test server: timers and retry backoffs pass in an instant of wall time. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const { testServer } = ensureTemporalBinaries();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
    client: { dataConverter: testDataConverter },
  });
  // The test server has no flag for them, but takes them through the operator service.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(projectSearchAttributes.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
  });
  return env;
}
