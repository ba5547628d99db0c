/** A worker on glibc without the malloc tuning of docs/deploy.md says what to set; with it, or elsewhere, it says nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mallocTuningAdvice, runtimeGlibcVersion, WORKER_GLIBC_TUNABLES, WORKER_NODE_OPTIONS, workflowStackTracesAdvice } from '../../worker/sizing';

const projectRoot = join(__dirname, '..', '..');

test('on glibc without GLIBC_TUNABLES the advice names the variable, its value and the docs', () => {
  const advice = mallocTuningAdvice({}, '2.36');
  assert.ok(advice);
  assert.match(advice, /^GLIBC_TUNABLES is not set: glibc 2\.36 /);
  assert.ok(advice.includes(`GLIBC_TUNABLES=${WORKER_GLIBC_TUNABLES}`), advice);
  assert.match(advice, /docs\/deploy\.md/);
});

test('no advice once the process is tuned (either variable), or off glibc', () => {
  assert.equal(mallocTuningAdvice({ GLIBC_TUNABLES: WORKER_GLIBC_TUNABLES }, '2.36'), undefined);
  assert.equal(mallocTuningAdvice({ MALLOC_ARENA_MAX: '4' }, '2.36'), undefined);
  assert.equal(mallocTuningAdvice({}, undefined), undefined);
});

test('the tunables are the three glibc reads, each a whole number', () => {
  const settings = Object.fromEntries(WORKER_GLIBC_TUNABLES.split(':').map((pair) => pair.split('=') as [string, string]));
  assert.deepEqual(Object.keys(settings).sort(), ['glibc.malloc.arena_max', 'glibc.malloc.mmap_threshold', 'glibc.malloc.trim_threshold']);
  for (const value of Object.values(settings)) assert.match(value, /^\d+$/);
});

test("this machine's glibc is read from node's report (Linux on glibc: a version)", { skip: process.platform !== 'linux' }, () => {
  assert.match(runtimeGlibcVersion() ?? '', /^\d+\.\d+/);
});

test('a central worker started without the workflow-threads preload says how to start it; with it, or WORKFLOW_STACK_TRACES=on, nothing', () => {
  const advice = workflowStackTracesAdvice(['--import', 'tsx'], {});
  assert.match(advice ?? '', /node --require \.\/worker\/workflow-threads\.cjs .*docs\/deploy\.md.*WORKFLOW_STACK_TRACES=on/);
  assert.equal(workflowStackTracesAdvice([...WORKER_NODE_OPTIONS, '--import', 'tsx'], {}), undefined);
  assert.equal(workflowStackTracesAdvice(['--import', 'tsx'], { WORKFLOW_STACK_TRACES: 'on' }), undefined);
  assert.ok(existsSync(join(projectRoot, WORKER_NODE_OPTIONS[1])), 'the preload is where the option names it');
});
