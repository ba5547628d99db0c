import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const projectRoot = resolve(__dirname, '..');
const cacheDir = join(projectRoot, '.cache', 'workflow-bundles');
/** Older bundles than this are removed when a new one is written: the cache never grows without bound. */
export const CACHE_KEEP_MS = 7 * 24 * 60 * 60 * 1000;

export interface WorkflowBundle {
  codePath: string;
  /** A hash of the bundle's code, the same on every machine for the same code (a deployment version's id adds the activity code: `engineBuildId`). */
  buildId: string;
}

/** Type-only imports are erased by the compiler: they bring nothing into the bundle. */
const TYPE_ONLY_IMPORT = /(?:import|export)\s+type\s[^;]*?from\s+['"][^'"]+['"]/g;
/** `import … from './x'`, `export … from '../y'`, `import('./z')`, `require('./w')`: the relative ones. */
const RELATIVE_SPECIFIER = /(?:from\s+|import\s*\(?\s*|require\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The project file a relative import of `fromFile` names, as the bundler finds it. */
export function resolveSource(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Every project file the bundle can contain: the entry files and, transitively, what they import by
 * relative path (a generous reading: a file listed needlessly only costs a rebuild).
 */
export function bundleSourceFiles(entries: string[]): string[] {
  const seen = new Set<string>();
  const pending = entries.map((entry) => {
    const file = statSync(entry).isFile() ? entry : resolveSource(join(entry, 'x'), './index');
    if (!file) throw new Error(`No workflow entry file at ${entry}`);
    return file;
  });
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').replace(TYPE_ONLY_IMPORT, '').matchAll(RELATIVE_SPECIFIER)) {
      const imported = resolveSource(file, match[1]!);
      if (imported && !seen.has(imported)) pending.push(imported);
    }
  }
  return [...seen].sort();
}

/** Bundled with every workflow: no refused payload becomes a workflow's input (workflows/interceptors.ts). */
const engineInterceptorModule = require.resolve('../workflows/interceptors');
/** Bundled, first, only for a worker that traces (workflows/tracing-interceptors.ts says why). */
const tracingInterceptorModule = require.resolve('../workflows/tracing-interceptors');

function interceptorModules(traced: boolean): string[] {
  return traced ? [tracingInterceptorModule, engineInterceptorModule] : [engineInterceptorModule];
}

function cacheKey(workflowsPath: string, failureConverterPath: string | undefined, workflowInterceptorModules: string[]): string {
  const hash = createHash('sha256');
  // Dependency versions: the SDK (webpack's workflow runtime) and the whole lock file.
  hash.update(readFileSync(join(projectRoot, 'node_modules/@temporalio/worker/package.json')));
  const lockFile = join(projectRoot, 'package-lock.json');
  if (existsSync(lockFile)) hash.update(readFileSync(lockFile));
  hash.update(process.version);
  for (const file of bundleSourceFiles([workflowsPath, ...workflowInterceptorModules, ...(failureConverterPath ? [failureConverterPath] : [])])) {
    hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The build id a deployment version gets: the workflow bundle's id, the activity code its workers run
 * (every file `activityEntries` import, by path relative to the first entry, so the same on every machine)
 * and the dependency lock, so a change to either side is a new version and a pinned run meets neither.
 */
export function engineBuildId(bundle: WorkflowBundle, activityEntries: string[]): string {
  const hash = createHash('sha256').update(bundle.buildId).update('\0');
  const lockFile = join(projectRoot, 'package-lock.json');
  if (existsSync(lockFile)) hash.update(readFileSync(lockFile));
  const base = dirname(activityEntries[0]!);
  for (const file of bundleSourceFiles(activityEntries)) {
    hash.update(relative(base, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

export function buildIdOf(code: string | Buffer): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 12);
}

/**
 * Bundles `workflowsPath` once and caches the bundle on disk, keyed by the content of every file the
 * bundle can contain and the dependency versions: each test file and each worker start then skips
 * webpack, which costs seconds on a small machine.
 */
export async function cachedWorkflowBundle(
  workflowsPath: string,
  failureConverterPath?: string,
  { traced = false }: { traced?: boolean } = {},
): Promise<WorkflowBundle> {
  // Tracing adds only the trace's headers to what a run sends, never a command: a traced worker is the same version as an untraced one.
  if (traced) {
    const { buildId } = await cachedWorkflowBundle(workflowsPath, failureConverterPath);
    return { ...(await bundleOnce(workflowsPath, failureConverterPath, interceptorModules(true))), buildId };
  }
  return bundleOnce(workflowsPath, failureConverterPath, interceptorModules(false));
}

async function bundleOnce(workflowsPath: string, failureConverterPath: string | undefined, workflowInterceptorModules: string[]): Promise<WorkflowBundle> {
  const codePath = join(cacheDir, `${cacheKey(workflowsPath, failureConverterPath, workflowInterceptorModules)}.js`);
  if (existsSync(codePath)) return { codePath, buildId: buildIdOf(readFileSync(codePath)) };
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules,
    logger: quietBundlerLogger,
    ...(failureConverterPath ? { failureConverterPath } : {}),
  });
  mkdirSync(cacheDir, { recursive: true });
  const temporary = `${codePath}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, codePath);
  pruneOlderThan(cacheDir, CACHE_KEEP_MS);
  return { codePath, buildId: buildIdOf(code) };
}

/** Removes the entries of `dir` (files or folders) last modified longer than `keepMs` ago. */
export function pruneOlderThan(dir: string, keepMs: number): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > keepMs) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process removed or is writing it.
    }
  }
}

const noop = (): void => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  log: noop,
};
