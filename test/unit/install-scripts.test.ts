/**
 * A quiet install: npm (11) skips a dependency's install script unless package.json's `allowScripts`
 * names it, and warns about every one it does not. Each package of the lockfile with an install
 * script must be approved or denied there, so `npm install` on a fresh clone prints no such warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean; version?: string }>;
};

/** The package names of the lockfile's entries with an install script (`node_modules/a/node_modules/@b/c` → `@b/c`). */
function packagesWithInstallScripts(): string[] {
  const names = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  return [...new Set(names)].sort();
}

/** The names `allowScripts` covers, whether it names them alone or pinned (`esbuild@0.28.2`). */
function coveredNames(): Set<string> {
  return new Set(Object.keys(manifest.allowScripts ?? {}).map((key) => key.replace(/(?<=.)@.*$/, '')));
}

test('every dependency with an install script is approved or denied in package.json allowScripts', () => {
  const covered = coveredNames();
  const uncovered = packagesWithInstallScripts().filter((name) => !covered.has(name));
  assert.deepEqual(uncovered, [], `review these and run \`npm install-scripts approve <pkg>\` or \`npm install-scripts deny <pkg>\`: ${uncovered.join(', ')}`);
});

test('the scripts the project needs run: the native binaries of the workflow bundler (@swc/core) and of tsx (esbuild)', () => {
  const allowed = manifest.allowScripts ?? {};
  assert.equal(allowed['@swc/core'], true);
  assert.equal(allowed.esbuild, true);
  // Its postinstall only warns a dependent that pins it with the wrong version scheme: nothing the project needs.
  assert.equal(allowed.protobufjs, false);
});
