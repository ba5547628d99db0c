/**
 * --profile: where the time goes, outside the rows' budget. Bursts on the confined path (`omni-raised`,
 * as `npm start` runs an Omni connection) on a stock stack and on one with the dev server's SQLite file
 * on tmpfs, and one with the central worker and the agents process (the confined agent's Nexus handler,
 * its backing runs' workflow threads and the raise) under node's --cpu-prof, read into self time by
 * category and by function.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectRoot, say, sleep } from '../harness';
import { markdownTable } from '../report';
import { codesOf, f1, type Run } from './kit';
import { engineBurst, type EngineBurst } from './pipeline';
import { newStack, warmUp } from './stack';

/** Confined (stack.ts), so the agents' profile holds the Nexus handler and the backing runs. */
const PROFILED_CONNECTION = 'omni-raised';

interface ProfileCost {
  name: string;
  ms: number;
}
interface ProcessProfile {
  process: string;
  orders: number;
  /** Process CPU per order from /proc (all threads: JS, the Rust core, V8's helpers). */
  processCpuMsPerOrder: number;
  /** Per profiled JS thread: busy (non-idle) ms per order. */
  threads: { file: string; busyMsPerOrder: number; topCategory: string }[];
  categories: ProfileCost[];
  functions: ProfileCost[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function categoryOf(url: string, functionName: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === 'runInContext') return 'workflow sandbox: entering its vm context';
  if (functionName === 'postMessage' || functionName === 'receiveMessageOnPort') return 'messages between the main and workflow threads';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (/payload-codec|internal\/crypto|node:crypto/.test(url) || /^(encrypt|decrypt|createCipheriv|createDecipheriv)/.test(functionName)) return 'payload codec (AES-GCM)';
  if (/workflow-bundles|\/workflows\/|@temporalio\/workflow/.test(url)) return 'workflow code + SDK workflow runtime (sandbox)';
  if (/@temporalio\/nexus|nexus-rpc|\/worker\/agent-operations|\/temporal\/agent-grant/.test(url)) return "Nexus handler (SDK + the agent's operations, grant check)";
  if (/protobufjs|@temporalio\/proto/.test(url)) return 'protobuf (JS)';
  if (/@temporalio\/core-bridge/.test(url)) return 'SDK core bridge (JS side)';
  if (/@temporalio\/worker/.test(url)) return 'SDK worker (JS)';
  if (/@temporalio\/(common|client|activity)/.test(url)) return 'SDK common / client / activity';
  if (/\/(activities|connectors|domain|config|client)\//.test(url) && !/node_modules/.test(url)) return 'engine activities';
  if (/axios|follow-redirects|_http|internal\/http|node:http|node:net|internal\/stream|node:stream/.test(url)) return 'HTTP client (axios, node http)';
  if (/zod/.test(url)) return 'zod validation';
  if (/tsx|esbuild/.test(url)) return 'tsx loader';
  if (/^node:|^internal\//.test(url)) return 'node internals';
  if (url === '') return 'native / builtins';
  return 'other';
}

function shortUrl(url: string): string {
  const inModules = /node_modules\/(.+)$/.exec(url);
  if (inModules) return inModules[1]!;
  return url.replace(`file://${projectRoot}/`, '').replace(`${projectRoot}/`, '');
}

/**
 * Self time by category and by function over the profiles of one process (a file per JS thread), for
 * the samples within `window` (monotonic µs, the profiles' own clock). A native frame (no script) counts
 * in its caller's category, under its own name.
 */
function readProfiles(dir: string, pid: number, orders: number, processCpuSeconds: number, processName: string, window: { from: number; to: number }): ProcessProfile {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  const threads: ProcessProfile['threads'] = [];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parentOf = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
    const categoryCache = new Map<number, string>();
    const categoryOfNode = (id: number): string => {
      const cached = categoryCache.get(id);
      if (cached !== undefined) return cached;
      const { functionName, url } = byId.get(id)!.callFrame;
      let category = categoryOf(url, functionName);
      if (category === 'native / builtins') {
        const parent = parentOf.get(id);
        const parentCategory = parent === undefined ? undefined : categoryOfNode(parent);
        if (parentCategory !== undefined && parentCategory !== '(root)') category = parentCategory;
      }
      if (functionName === '(root)') category = '(root)';
      categoryCache.set(id, category);
      return category;
    };
    const threadCategories = new Map<string, number>();
    let busy = 0;
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      at += us;
      const node = byId.get(id);
      if (!node || at < window.from || at > window.to) return;
      const { functionName, url, lineNumber } = node.callFrame;
      const category = categoryOfNode(id);
      if (category === 'idle') return;
      busy += us;
      threadCategories.set(category, (threadCategories.get(category) ?? 0) + us);
      categories.set(category, (categories.get(category) ?? 0) + us);
      const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`.trim();
      functions.set(key, (functions.get(key) ?? 0) + us);
    });
    const top = [...threadCategories].sort((a, b) => b[1] - a[1])[0];
    threads.push({ file: basename(file), busyMsPerOrder: busy / 1000 / orders, topCategory: top ? top[0] : '-' });
  }
  const ranked = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000 / orders }));
  return {
    process: processName,
    orders,
    processCpuMsPerOrder: (processCpuSeconds * 1000) / orders,
    threads: threads.sort((a, b) => b.busyMsPerOrder - a.busyMsPerOrder),
    categories: ranked(categories, 12),
    functions: ranked(functions, 15),
  };
}

interface VariantRun {
  name: string;
  orders: number;
  complete: boolean;
  ordersPerSecond: number;
  cpuMsPerOrder: Record<string, number>;
}

export interface ProfileRun {
  variants: VariantRun[];
  profiles: ProcessProfile[];
}

const variantOf = (name: string, e: EngineBurst): VariantRun => ({
  name,
  orders: e.orders,
  complete: e.complete,
  ordersPerSecond: e.ordersPerSecond,
  cpuMsPerOrder: Object.fromEntries(Object.entries(e.cpu).map(([process, s]) => [process, (s * 1000) / e.orders])),
});

/**
 * Where the time goes, outside the rows' budget: a burst of `profileOrders` on a fresh stock stack, the
 * same with the dev server's SQLite file on tmpfs (/dev/shm: the file without fsync), and one on the
 * stock stack with the central worker and the agents under --cpu-prof (profiles read once they stopped).
 */
export async function profileRun(run: Run): Promise<ProfileRun> {
  const n = run.sizes.profileOrders;
  const variants: VariantRun[] = [];
  const burst = async (name: string, prefix: string) => {
    const e = await engineBurst(run, run.stack.connection(PROFILED_CONNECTION), codesOf(prefix, n), Date.now() + 5 * 60_000);
    variants.push(variantOf(name, e));
    say(`profile, ${name}: ${n} orders at once: ${e.complete ? '' : '< '}${f1(e.ordersPerSecond)} orders/s; CPU ms/order ${Object.entries(e.cpu).map(([p, s]) => `${p} ${f1((s * 1000) / n)}`).join(', ')}`);
    return e;
  };

  // The dev server's SQLite file on tmpfs.
  await run.stack.stop();
  const shmFile = `/dev/shm/s2s-orders-${process.pid}-${Date.now()}.sqlite`;
  ({ stack: run.stack, rawActivities: run.rawActivities } = await newStack(run, { temporalDbFile: shmFile }));
  run.dirty = false;
  try {
    await warmUp(run);
    await burst('SQLite file on tmpfs (/dev/shm)', 'PT');
  } finally {
    await run.stack.stop();
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${shmFile}${suffix}`, { force: true });
  }

  // The stock stack, then the same under the profiler.
  ({ stack: run.stack, rawActivities: run.rawActivities } = await newStack(run));
  await warmUp(run);
  await burst('stock (SQLite file on disk)', 'PS');
  const dir = join(run.stack.dir, 'profiles');
  const execArgv = ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '1000'];
  say(`profile: restarting the central worker and the agents with ${execArgv.join(' ')}`);
  const central = await run.stack.startCentral({ execArgv });
  const [agents] = await run.stack.startAgents({ execArgv });
  await sleep(2000);
  const e = await burst('stock, central and agents under --cpu-prof', 'PP');
  await run.stack.stopCentral();
  await run.stack.stopAgents();
  const profiles = [
    readProfiles(dir, central.pid!, n, e.cpu.central ?? 0, 'central worker', e.monotonicUs),
    readProfiles(dir, agents!.pid!, n, e.cpu.agents ?? 0, 'agents', e.monotonicUs),
  ];
  for (const p of profiles) {
    say(`profile of the ${p.process}: ${f1(p.processCpuMsPerOrder)} ms CPU per order; JS threads ${p.threads.map((t) => `${f1(t.busyMsPerOrder)} ms (${t.topCategory})`).join(', ')}`);
    say(`  by category (ms/order): ${p.categories.map((c) => `${c.name} ${c.ms.toFixed(2)}`).join('; ')}`);
    say(`  top functions (ms/order): ${p.functions.map((c) => `${c.name} ${c.ms.toFixed(2)}`).join('; ')}`);
  }
  return { variants, profiles };
}

/** The variants' table and each profiled process's top costs, for "Where the time goes". */
export function profileMarkdown(p: ProfileRun | undefined): string[] {
  if (!p) return ["- `--profile` adds a burst with the SQLite file on tmpfs and the central worker's and agents' CPU profiles."];
  const out: string[] = [
    `- Variants (--profile, outside the budget, one burst each on the confined path, \`${PROFILED_CONNECTION}\`):`,
    '',
    markdownTable(
      ['variant', 'orders', 'orders/s', 'CPU ms per order (dev server / central / agents / bench)'],
      p.variants.map((v) => [
        v.name,
        String(v.orders),
        `${v.complete ? '' : '< '}${f1(v.ordersPerSecond)}`,
        ['devServer', 'central', 'agents', 'bench'].map((name) => f1(v.cpuMsPerOrder[name] ?? 0)).join(' / '),
      ]),
    ),
    '',
  ];
  for (const prof of p.profiles) {
    const busy = prof.threads.reduce((sum, t) => sum + t.busyMsPerOrder, 0);
    out.push(
      `- ${prof.process} under --cpu-prof: ${prof.processCpuMsPerOrder.toFixed(1)} ms CPU per order, ${busy.toFixed(1)} ms of it in its JS threads ` +
        `(${prof.threads.map((t) => `${t.busyMsPerOrder.toFixed(1)} ms mostly ${t.topCategory}`).join('; ')}); the other ${Math.max(0, prof.processCpuMsPerOrder - busy).toFixed(1)} ms ` +
        "in the Rust core's threads (gRPC, protobuf, pollers) and V8's helper threads. By category (ms per order): " +
        prof.categories.map((c) => `${c.name} ${c.ms.toFixed(2)}`).join(', ') +
        '. Top functions: ' +
        prof.functions
          .slice(0, 8)
          .map((c) => `\`${c.name}\` ${c.ms.toFixed(2)}`)
          .join(', ') +
        '.',
    );
  }
  return out;
}
