/**
 * Preloaded into every thread of a worker process (`node --require ./worker/workflow-threads.cjs …`):
 * in the SDK's workflow threads it turns off the promise hook that records a stack trace, source
 * mapped, at every promise a workflow creates (what the Web UI's "Stack Trace" tab shows). That hook
 * cost the central worker about a third of its CPU per order (docs/benchmarks.md).
 * WORKFLOW_STACK_TRACES=on keeps it, for a worker started to look into a stuck workflow. Errors thrown
 * in a workflow keep their source-mapped stack; other threads are not touched.
 */
'use strict';
const Module = require('node:module');
const { isMainThread } = require('node:worker_threads');

// @temporalio/worker 1.24.0, pinned: the workflow thread's hooks live in its vm-shared.js, installed when the thread's first bundle loads.
const SHARED = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]vm-shared(\.js)?$/;

if (!isMainThread && process.env.WORKFLOW_STACK_TRACES !== 'on') {
  const load = Module._load;
  // Waits for the thread that loads the SDK's workflow runtime (only a workflow thread does), then steps aside.
  Module._load = function loadWatchingForWorkflowRuntime(request, parent, isMain) {
    const loaded = load.call(this, request, parent, isMain);
    if (typeof request === 'string' && /vm-shared/.test(request) && SHARED.test(Module._resolveFilename(request, parent))) {
      Module._load = load;
      const handlers = loaded && loaded.globalHandlers;
      if (handlers && typeof handlers.setPromiseHook === 'function' && !handlers.installed) {
        handlers.setPromiseHook = function workflowStackTracesOff() {};
      } else {
        process.emitWarning('worker/workflow-threads.cjs: the SDK no longer has the hook it turns off; workflow stack traces stay on');
      }
    }
    return loaded;
  };
}
