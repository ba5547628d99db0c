/**
 * A sampler of where a process's memory is, for every thread of it: loaded with
 *
 *   NODE_OPTIONS="--require ./bench/thread-heaps.cjs" THREAD_HEAPS_LOG=/tmp/heaps.jsonl node --import tsx bench/orders.ts --rows 5
 *
 * every node process started under it (the bench, the central worker, the agents) and every worker
 * thread in them (the SDK's workflow thread, tsx's loader) appends a line every 5 s: pid, thread, the
 * process's RSS and the thread's V8 heap (committed, used, per space), all in MB. RSS minus the sum of
 * a process's committed heaps is what lives outside V8 (node, the SDK's Rust core, malloc).
 */
const { appendFileSync } = require('node:fs');
const { getHeapStatistics, getHeapSpaceStatistics } = require('node:v8');
const { threadId } = require('node:worker_threads');

const logFile = process.env.THREAD_HEAPS_LOG;
const mb = (bytes) => Math.round(bytes / 1e6);

if (logFile) {
  setInterval(() => {
    const heap = getHeapStatistics();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, mb(space.space_used_size)]));
    const line = {
      at: new Date().toISOString(),
      pid: process.pid,
      script: process.argv[1],
      threadId,
      rssMB: mb(process.memoryUsage.rss()),
      heapCommittedMB: mb(heap.total_heap_size),
      heapUsedMB: mb(heap.used_heap_size),
      externalMB: mb(heap.external_memory),
      spacesUsedMB: spaces,
    };
    appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  }, 5000).unref();
}
