/**
 * The workflow bundle: what it may contain, and that its cache never serves a stale bundle (the
 * build id a deployment version gets starts from the bundle's hash, so a stale bundle would also be a wrong version).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { bundleSourceFiles, cachedWorkflowBundle, engineBuildId } from '../../worker/workflow-bundle';
import { engineWorkflowBundle } from '../../worker/workers';
import { testDataConverter } from '../helpers/temporal';
import { variantWorkflowBundle } from '../helpers/variant-bundle';

const projectRoot = resolve(__dirname, '..', '..');

/** The domain modules a workflow may import: import-free, and stable for the codes and queues of open runs. */
const DOMAIN_FOR_WORKFLOWS = ['domain/task-queues.ts', 'domain/order-code.ts'];

test('workflows import only workflow code, the contracts, the task queue names and the order code policy', () => {
  const files = bundleSourceFiles([require.resolve('../../workflows/versioned')]).map((f) => relative(projectRoot, f));
  const outside = files.filter((f) => !f.startsWith('workflows/') && !f.startsWith('contracts/') && !DOMAIN_FOR_WORKFLOWS.includes(f));
  assert.deepEqual(outside, [], 'a workflow imports a module whose changes would change every open run’s code');
  assert.ok(files.includes('workflows/raiseOrder.ts') && files.includes('contracts/activities.ts'));
});

test('the bundle’s files: relative imports followed transitively, type-only imports skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-files-'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'entry.ts'), "import { a } from './lib';\nimport type { T } from './types';\nexport * from './more';\n");
  writeFileSync(join(dir, 'lib', 'index.ts'), "export { b as a } from '../deep';\n");
  writeFileSync(join(dir, 'deep.ts'), 'export const b = 1;\n');
  writeFileSync(join(dir, 'more.ts'), "import '@temporalio/workflow';\nexport const c = 2;\n");
  writeFileSync(join(dir, 'types.ts'), 'export type T = string;\n');
  assert.deepEqual(
    bundleSourceFiles([join(dir, 'entry.ts')]).map((f) => relative(dir, f)),
    ['deep.ts', 'entry.ts', 'lib/index.ts', 'more.ts'],
  );
});

test('a change to a file the workflows import gives a new bundle and a new build id; the same code, the same id', async () => {
  const current = await engineWorkflowBundle(testDataConverter, { versioned: false });
  assert.deepEqual(await engineWorkflowBundle(testDataConverter, { versioned: false }), current, 'served from the cache');
  // The same paths twice, with one imported file's content changed: the cache must not serve the first.
  const contractsSaying = (type: string) =>
    variantWorkflowBundle('contracts-change', [
      {
        file: 'contracts/activities.ts',
        find: "export const UNCERTAIN_CREATE_ERROR_TYPE = 'UncertainCreateError';",
        replace: `export const UNCERTAIN_CREATE_ERROR_TYPE = '${type}';`,
      },
    ]);
  const first = await contractsSaying('UncertainCreateA');
  const second = await contractsSaying('UncertainCreateB');
  assert.notEqual(second.codePath, first.codePath, 'a new bundle');
  assert.notEqual(second.buildId, first.buildId, 'a new version');
  assert.deepEqual(await contractsSaying('UncertainCreateA'), first, 'the same code is the same bundle and version');
  const versioned = await engineWorkflowBundle(testDataConverter, { versioned: true });
  assert.notEqual(versioned.buildId, current.buildId, 'the versioned entry is its own bundle');
});

test('a deployment version covers the activity code too: a change to a file the activities import is a new version, the same code on another path the same one', () => {
  const activitiesIn = (helper: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'activity-files-'));
    writeFileSync(join(dir, 'index.ts'), "import { help } from './helper';\nexport const run = () => help();\n");
    writeFileSync(join(dir, 'helper.ts'), helper);
    return [join(dir, 'index.ts')];
  };
  const bundle = { codePath: '/unused', buildId: 'abc123' };
  const first = engineBuildId(bundle, activitiesIn('export const help = () => 1;\n'));
  assert.equal(engineBuildId(bundle, activitiesIn('export const help = () => 1;\n')), first, 'the same code elsewhere: the same version');
  assert.notEqual(engineBuildId(bundle, activitiesIn('export const help = () => 2;\n')), first, 'an activity change: a new version');
  assert.notEqual(engineBuildId({ ...bundle, buildId: 'def456' }, activitiesIn('export const help = () => 1;\n')), first, 'a workflow change: a new version');
});

test("OpenTelemetry's workflow interceptors are bundled only for a worker that traces, and do not change the version", async () => {
  const plain = await cachedWorkflowBundle(require.resolve('../../workflows'), testDataConverter.failureConverterPath);
  const traced = await cachedWorkflowBundle(require.resolve('../../workflows'), testDataConverter.failureConverterPath, { traced: true });
  assert.notEqual(traced.codePath, plain.codePath);
  assert.equal(traced.buildId, plain.buildId, 'spans add headers, never a command: one version');
  assert.doesNotMatch(readFileSync(plain.codePath, 'utf8'), /@temporalio\/interceptors-opentelemetry\/lib\/workflow\/index\.js/);
  assert.match(readFileSync(traced.codePath, 'utf8'), /@temporalio\/interceptors-opentelemetry\/lib\/workflow\/index\.js/);
});
