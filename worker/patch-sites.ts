/**
 * The patches in this checkout's workflow code, read from its sources, and the edits that make a
 * variant of that code (worker/workflow-variants.ts) answer one patch otherwise.
 *
 * A patch is found where its id is written: `patched('<id>')` under whatever name it is imported
 * (`isPatched`), `deprecatePatch('<id>')`, or a call of a function or method that hands its argument
 * on to `patched` (raiseOrder's `patches.has('<id>')`). The edits never touch those calls: they
 * rebind the imported `patched` and `deprecatePatch` of each file, by id, so the variant answers the
 * same whichever way the code asks.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { bundleSourceFiles, resolveSource } from './workflow-bundle';
import type { SourceEdit } from './workflow-variants';

const projectRoot = resolve(__dirname, '..');
const workflowsEntry = require.resolve('../workflows');

export type PatchCallKind = 'patched' | 'deprecatePatch';

export interface PatchCall {
  /** From the project root, e.g. `workflows/raiseOrder.ts`. */
  file: string;
  kind: PatchCallKind;
}

export interface PatchInCode {
  id: string;
  /** The workflow types (exports of workflows/index.ts) whose code contains a call of it. */
  workflowTypes: string[];
  calls: PatchCall[];
}

/**
 * How a variant answers one patch:
 *  - `deprecated`: as `deprecatePatch` would, in place of each `patched`: the marker recorded, the new
 *    branch taken whatever the history holds (the code once the patch is deprecated);
 *  - `removed`: no marker, the new branch taken, and `deprecatePatch` of it gone (the code once the patch is removed);
 *  - `absent`: no marker, the old branch taken (the code before the patch).
 */
export type PatchAnswer = 'deprecated' | 'removed' | 'absent';

/** `source` with its comments blanked out (positions kept), so a patch named in a comment is not taken for a call. */
function withoutComments(source: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      out += c;
      if (c === '\\') out += source[++i] ?? '';
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') {
      quote = c;
      out += c;
    } else if (c === '/' && (source[i + 1] === '/' || source[i + 1] === '*')) {
      const lineComment = source[i + 1] === '/';
      const close = lineComment ? source.indexOf('\n', i) : source.indexOf('*/', i + 2);
      const end = close === -1 ? source.length : lineComment ? close : close + 2;
      out += source.slice(i, end).replace(/[^\n]/g, ' ');
      i = end - 1;
    } else {
      out += c;
    }
  }
  return out;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface PatchImport {
  /** The import statement as written. */
  statement: string;
  /** The local names it binds `patched` and `deprecatePatch` to. */
  names: { kind: PatchCallKind; local: string }[];
}

/** The file's imports of `patched` and `deprecatePatch` from `@temporalio/workflow`. */
function patchImportsIn(source: string, code: string): PatchImport[] {
  return [...code.matchAll(/import\s*\{([^}]*)\}\s*from\s*(['"])@temporalio\/workflow\2\s*;?/g)].flatMap((match) => {
    const names = match[1]!.split(',').flatMap((specifier) => {
      const [, imported, local] = /^\s*(patched|deprecatePatch)(?:\s+as\s+(\w+))?\s*$/.exec(specifier) ?? [];
      return imported ? [{ kind: imported as PatchCallKind, local: local ?? imported }] : [];
    });
    return names.length > 0 ? [{ statement: source.slice(match.index, match.index + match[0].length), names }] : [];
  });
}

/** How a name is called: `name(` (a function) or `.name(` on an instance of its class. */
interface Caller {
  kind: PatchCallKind;
  name: string;
  /** For a method: the expressions that hold an instance of its class (`this.patches`, `patches`). */
  receivers?: string[];
}

/**
 * The functions and methods of `code` that hand their parameter on to a caller: `has(id) { … isPatched(id) … }`.
 * A method is called on what holds an instance of its class (`patches = new Patches()`).
 */
function wrappersOf(code: string, callers: Caller[]): Caller[] {
  const found: Caller[] = [];
  for (const caller of callers) {
    const call = new RegExp(`(?<![\\w$])${escapeRegExp(caller.name)}\\s*\\(\\s*([A-Za-z_$][\\w$]*)\\s*\\)`, 'g');
    for (const match of code.matchAll(call)) {
      const before = code.slice(0, match.index);
      // The nearest function or method above that takes this parameter.
      const headers = [
        ...before.matchAll(/(function\s+)?([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*(=)?\s*\(\s*([A-Za-z_$][\w$]*)\s*(?::[^,)]*)?\)\s*(?::[^{=]*)?(?:=>|\{)/g),
      ];
      const header = headers.reverse().find((h) => h[4] === match[1] && !['if', 'while', 'for', 'switch', 'catch'].includes(h[2]!));
      if (!header || found.some((w) => w.name === header[2])) continue;
      // Neither `function f(id)` nor `f = (id) =>`: a method, of the nearest class above.
      const isMethod = !header[1] && !header[3];
      const classOf = isMethod ? [...before.slice(0, header.index).matchAll(/class\s+([A-Za-z_$][\w$]*)/g)].at(-1)?.[1] : undefined;
      const receivers = classOf
        ? [...code.matchAll(new RegExp(`(this\\.)?([A-Za-z_$][\\w$]*)\\s*(?::[^=;]*)?=\\s*new\\s+${escapeRegExp(classOf)}\\s*\\(`, 'g'))].map(
            (r) => `${r[1] ?? ''}${r[2]!}`,
          )
        : undefined;
      // A method of a class no one creates in this file is not followed (it could be any `has`).
      if (classOf && receivers?.length === 0) continue;
      found.push({ kind: caller.kind, name: header[2]!, ...(receivers ? { receivers } : {}) });
    }
  }
  return found;
}

/** The ids of the patch calls in `file`: literal ids given to `patched`, `deprecatePatch` or a wrapper of either. */
export function patchCallsIn(file: string): { id: string; kind: PatchCallKind }[] {
  const source = readFileSync(file, 'utf8');
  const code = withoutComments(source);
  let callers: Caller[] = patchImportsIn(source, code).flatMap(({ names }) => names.map(({ kind, local }) => ({ kind, name: local })));
  for (let wrappers = wrappersOf(code, callers); wrappers.some((w) => !callers.some((c) => c.name === w.name)); wrappers = wrappersOf(code, callers)) {
    callers = [...callers, ...wrappers.filter((w) => !callers.some((c) => c.name === w.name))];
  }
  return callers.flatMap(({ kind, name, receivers }) => {
    const callee = receivers ? `(?:${receivers.map(escapeRegExp).join('|')})\\s*\\.\\s*${escapeRegExp(name)}` : `(?<![\\w$.])${escapeRegExp(name)}`;
    return [...code.matchAll(new RegExp(`${callee}\\s*\\(\\s*(['"])([^'"\\\\]+)\\1\\s*\\)`, 'g'))].map((match) => ({ id: match[2]!, kind }));
  });
}

/** The workflow types of workflows/index.ts (`export { raiseOrder } from './raiseOrder'`), each with the file that defines it. */
export function workflowTypeFiles(): { type: string; file: string }[] {
  const index = withoutComments(readFileSync(workflowsEntry, 'utf8'));
  return [...index.matchAll(/export\s*\{([^}]*)\}\s*from\s*(['"])(\.[^'"]+)\2/g)].flatMap((match) => {
    const file = resolveSource(workflowsEntry, match[3]!);
    if (!file) return [];
    // `export { a, b as c }`: the workflow types are the exported names, a and c.
    return match[1]!
      .split(',')
      .flatMap((specifier) => /(\w+)\s*$/.exec(specifier)?.slice(1, 2) ?? [])
      .map((type) => ({ type, file }));
  });
}

/** Every patch of the workflow code, by id. */
export function patchesInWorkflows(): PatchInCode[] {
  const types = workflowTypeFiles().map(({ type, file }) => ({ type, sources: new Set(bundleSourceFiles([file])) }));
  const byId = new Map<string, PatchInCode>();
  for (const file of bundleSourceFiles([workflowsEntry])) {
    for (const { id, kind } of patchCallsIn(file)) {
      const patch = byId.get(id) ?? { id, workflowTypes: [], calls: [] };
      byId.set(id, patch);
      const call = { file: relative(projectRoot, file), kind };
      if (!patch.calls.some((c) => c.file === call.file && c.kind === call.kind)) patch.calls.push(call);
      for (const { type, sources } of types) if (sources.has(file) && !patch.workflowTypes.includes(type)) patch.workflowTypes.push(type);
    }
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Still asked with `patched` somewhere: its next step is `deprecatePatch`. Else it is deprecated, and its next step is removal. */
export function isDeprecated(patch: PatchInCode): boolean {
  return !patch.calls.some((call) => call.kind === 'patched');
}

/** How the rebound name answers `id` in the variant; other ids go to the SDK's function as before. */
function reboundName(kind: PatchCallKind, local: string, id: string, answer: PatchAnswer): string {
  const sdk = `${kind}AsWritten`;
  const quoted = `'${id}'`;
  if (kind === 'deprecatePatch') {
    // `absent` is the code before the patch, which asked nothing; `deprecated` keeps it as written.
    if (answer === 'deprecated') return `const ${local} = ${sdk};`;
    return `const ${local} = (id: string): void => {\n  if (id !== ${quoted}) ${sdk}(id);\n};`;
  }
  const given = { deprecated: `(deprecatePatchAsChecked(id), true)`, removed: 'true', absent: 'false' }[answer];
  return `const ${local} = (id: string): boolean => (id === ${quoted} ? ${given} : ${sdk}(id));`;
}

/** The edits that make the workflow code answer `patch` as `answer` says, whatever way each file asks it. */
export function patchAnswerEdits(patch: PatchInCode, answer: PatchAnswer): SourceEdit[] {
  return [...new Set(patch.calls.map((call) => call.file))].flatMap((file) => {
    const source = readFileSync(resolve(projectRoot, file), 'utf8');
    return patchImportsIn(source, withoutComments(source)).map(({ statement, names }, nth) => {
      let imported = statement;
      for (const { kind, local } of names) {
        imported = imported.replace(new RegExp(`\\b${kind}(\\s+as\\s+${escapeRegExp(local)})?(?=\\s*[,}])`), `${kind} as ${kind}AsWritten`);
      }
      const lines = [
        imported,
        ...(nth === 0 ? ["import { deprecatePatch as deprecatePatchAsChecked } from '@temporalio/workflow';"] : []),
        ...names.map(({ kind, local }) => reboundName(kind, local, patch.id, answer)),
      ];
      return { file, find: statement, replace: lines.join('\n') };
    });
  });
}
