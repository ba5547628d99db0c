import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const projectRoot = resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Bundles `workflowsPath` once and caches the bundle on disk, keyed by the content of every file
 * the bundle can contain (workflows, domain) and the SDK version: each test file and each worker
 * start then skips webpack, which costs seconds on a small machine.
 */
export async function cachedWorkflowBundle(workflowsPath: string, failureConverterPath?: string): Promise<{ codePath: string }> {
  const hash = createHash('sha256');
  // Dependency versions (the lock file) and every project file a workflow can import.
  hash.update(readFileSync(join(projectRoot, 'node_modules/@temporalio/worker/package.json')));
  const lockFile = join(projectRoot, 'package-lock.json');
  if (existsSync(lockFile)) hash.update(readFileSync(lockFile));
  hash.update(readFileSync(join(projectRoot, 'activities/contracts.ts')));
  hash.update(workflowsPath);
  if (failureConverterPath) hash.update(failureConverterPath).update(readFileSync(failureConverterPath));
  for (const dir of ['workflows', 'domain', 'test/fixtures']) {
    const full = join(projectRoot, dir);
    if (!existsSync(full)) continue;
    for (const file of sourceFiles(full).sort()) hash.update(file).update(readFileSync(file));
  }
  const cacheDir = join(projectRoot, '.cache', 'workflow-bundles');
  const codePath = join(cacheDir, `${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(codePath)) return { codePath };
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: quietBundlerLogger,
    ...(failureConverterPath ? { failureConverterPath } : {}),
  });
  mkdirSync(cacheDir, { recursive: true });
  const temporary = `${codePath}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, codePath);
  return { codePath };
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
