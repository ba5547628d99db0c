/**
 * The connections of a running process (`ConnectionRegistry`): the file read once, validated
 * connection by connection (a bad one is reported, naming it and the field, and skipped; the others
 * are served), and watched: a change applies without a restart, an unreadable file keeps the last
 * good set. And the activity of a connection that is in the file but invalid fails needing a person,
 * naming the field, not as an unknown connection.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ConnectionRegistry, type RegistryLogLine } from '../../config/connection-registry';
import { loadConnections } from '../../config/config';
import { createActivities, type ActivityDeps } from '../../activities';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function isync(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `${id} (iSync)`,
    sourceKind: 'isync',
    endpoint: 'https://isync.example.com/MessageService.svc',
    credentialsRef: { username: 'ISYNC_USER', password: 'ISYNC_PASSWORD' },
    stock2shop: { sourceId: 7, credentialsRef: { token: 'S2S_TOKEN' } },
    ...extra,
  };
}

const fileText = (connections: unknown[]) => JSON.stringify({ connections }, null, 2);

/** A connections file in a folder of its own, and a registry over it whose log lines are kept. */
function registryOver(connections: unknown[], options: { watch?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 's2s-registry-'));
  dirs.push(dir);
  const file = join(dir, 'connections.json');
  writeFileSync(file, fileText(connections));
  const lines: RegistryLogLine[] = [];
  const registry = new ConnectionRegistry(file, { log: (line) => lines.push(line), debounceMs: 50, pollIntervalMs: 200, ...options });
  return { file, dir, lines, registry };
}

const ids = (registry: ConnectionRegistry) => registry.connections().map((c) => c.id);

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('ConnectionRegistry: reading the file', () => {
  test('a good file: every connection in use, no problem, one summary line', () => {
    const { registry, lines } = registryOver([isync('alpha'), isync('bravo')], { watch: false });
    assert.deepEqual(ids(registry), ['alpha', 'bravo']);
    assert.deepEqual(registry.problems(), []);
    assert.deepEqual(
      lines.map((l) => l.level),
      ['info'],
    );
    assert.match(lines[0]!.message, /loaded: 2 connection\(s\) in use \(alpha, bravo\)/);
  });

  test('bad entries among good ones: the good are served, each bad one reported once naming its id (or position) and field', () => {
    const { registry, lines } = registryOver(
      [
        isync('alpha'),
        isync('bravo', { endpoint: 'not a url' }),
        { ...isync('x'), id: undefined },
        isync('delta', { credentialsRef: { username: 'U', password: 'hunter2!' } }),
      ],
      { watch: false },
    );
    assert.deepEqual(ids(registry), ['alpha']);
    assert.deepEqual(
      registry.problems().map((p) => [p.connection, p.field]),
      [
        ['bravo', 'endpoint'],
        ['#3', 'id'],
        ['delta', 'credentialsRef.password'],
      ],
    );
    assert.equal(registry.problems()[0]!.message, 'Connection bravo: endpoint: must be an http(s) URL');
    const warnings = lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 3, 'one line per bad connection');
    assert.match(warnings[0]!.message, /^Connection bravo: endpoint: must be an http\(s\) URL: connection skipped, the others keep working/);
    assert.ok(!JSON.stringify(lines).includes('hunter2!'), 'a value never appears, even a secret put in the wrong place');
    assert.equal(registry.problemOf('bravo')?.field, 'endpoint');
    assert.equal(registry.problemOf('alpha'), undefined, 'a good connection has no problem');
    assert.equal(registry.problemOf('nowhere'), undefined, 'a connection not in the file has no problem either');
  });

  test('a duplicate id is a problem of the later entry; the first is used', () => {
    const { registry } = registryOver([isync('alpha', { name: 'first' }), isync('bravo'), isync('alpha', { name: 'second' })], { watch: false });
    assert.deepEqual(ids(registry), ['alpha', 'bravo']);
    assert.equal(registry.connections()[0]!.name, 'first');
    assert.deepEqual(registry.problems(), [
      { connection: 'alpha', field: 'id', fields: ['id'], message: 'Connection alpha: id: appears twice: entry #3 repeats the id of entry #1' },
    ]);
    assert.equal(registry.problemOf('alpha'), undefined, 'alpha is in use (its first entry)');
  });

  test('no file, or a file that is not JSON, at start: refused in one line', () => {
    assert.throws(() => new ConnectionRegistry(join(tmpdir(), 'no-such-dir', 'connections.json')), /No connections file at/);
    const { file } = registryOver([], { watch: false });
    writeFileSync(file, '{ "connections": [\n  { "id": "alpha" }\n  { "id": "bravo" } ] }');
    assert.throws(() => new ConnectionRegistry(file, { watch: false }), /is not valid JSON: Expected ',' or ']' after array element \(line 3, column 3\)/);
  });

  test('loadConnections (the CLI) stays all or nothing, and names every mistake of the file at once, one connection a line', () => {
    const { file } = registryOver(
      [isync('alpha'), isync('bravo', { endpoint: 'nope', syncIntervalMinutes: 0 }), isync('alpha'), isync('charlie', { pageSize: 0 })],
      { watch: false },
    );
    assert.throws(
      () => loadConnections(file),
      (error: Error) =>
        error.message ===
        [
          `${file}: 3 connections have mistakes (fix each; running workers skip a bad connection and serve the others):`,
          '  Connection bravo: endpoint: must be an http(s) URL; syncIntervalMinutes: must be more than 0',
          '  Connection alpha: id: appears twice: entry #3 repeats the id of entry #1',
          '  Connection charlie: pageSize: must be at least 1',
        ].join('\n'),
    );
  });

  test('a connection with several mistakes names every field, in one problem (one log line) of its own', () => {
    const { registry, lines } = registryOver(
      [
        isync('alpha'),
        isync('bravo', { endpoint: 'not a url', pageSize: 0, credentialsRef: { username: 'U' }, stock2shop: { sourceId: -1, credentialsRef: { token: 'T' } } }),
        { ...isync('x'), id: 'Not A Slug', sourceKind: 'isync', syncIntervalMinutes: 'often' },
      ],
      { watch: false },
    );
    assert.deepEqual(ids(registry), ['alpha']);
    const [bravo, third] = registry.problems();
    assert.deepEqual(bravo!.fields, ['endpoint', 'stock2shop.sourceId', 'credentialsRef.password', 'pageSize']);
    assert.equal(bravo!.field, 'endpoint');
    assert.match(
      bravo!.message,
      /^Connection bravo: endpoint: must be an http\(s\) URL; stock2shop\.sourceId: .+; credentialsRef\.password: required; pageSize: must be at least 1$/,
    );
    assert.deepEqual(third!.fields, ['id', 'syncIntervalMinutes']);
    assert.match(third!.message, /^Connection Not A Slug: id: .+; syncIntervalMinutes: .+$/);
    const warnings = lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 2, 'one line per bad connection');
    assert.deepEqual(
      warnings.map((l) => [l.connection, l.fields]),
      [
        ['bravo', bravo!.fields],
        ['Not A Slug', third!.fields],
      ],
    );
  });
});

describe('ConnectionRegistry: watching the file', () => {
  test('a good change applies without a restart; a connection that turns bad is dropped and reported, the others stay', async () => {
    const { registry, file, lines } = registryOver([isync('alpha'), isync('bravo')]);
    try {
      writeFileSync(file, fileText([isync('alpha', { pageSize: 50 }), isync('bravo'), isync('charlie')]));
      await until('the change to apply', () => ids(registry).length === 3);
      assert.equal(registry.connections()[0]!.pageSize, 50);

      writeFileSync(file, fileText([isync('alpha', { pageSize: 50 }), isync('bravo', { endpoint: 'ftp://example.com' }), isync('charlie')]));
      await until('bravo to be dropped', () => registry.problemOf('bravo') !== undefined);
      assert.deepEqual(ids(registry), ['alpha', 'charlie']);
      assert.equal(lines.filter((l) => l.level === 'warn' && l.connection === 'bravo').length, 1);

      writeFileSync(file, fileText([isync('alpha', { pageSize: 50 }), isync('bravo'), isync('charlie')]));
      await until('bravo to be back', () => ids(registry).length === 3);
      assert.deepEqual(registry.problems(), []);
    } finally {
      registry.close();
    }
  });

  test('a file that no longer parses keeps the last good set, and says why once', async () => {
    const { registry, file, lines } = registryOver([isync('alpha'), isync('bravo')]);
    try {
      writeFileSync(file, '{ "connections": [ ');
      await until('the problem to be reported', () => registry.problems().length > 0);
      assert.deepEqual(ids(registry), ['alpha', 'bravo']);
      assert.equal(registry.problems()[0]!.connection, '(file)');
      assert.match(registry.problems()[0]!.message, /is not valid JSON/);
      const errors = lines.filter((l) => l.level === 'error');
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /keeping the last good connections \(alpha, bravo\)/);

      writeFileSync(file, JSON.stringify({ connectons: [] }));
      await until('the next problem', () => /expected \{ "connections"/.test(registry.problems()[0]?.message ?? ''));
      assert.deepEqual(ids(registry), ['alpha', 'bravo']);

      writeFileSync(file, fileText([isync('alpha')]));
      await until('the fixed file to apply', () => ids(registry).length === 1);
      assert.deepEqual(registry.problems(), []);
    } finally {
      registry.close();
    }
  });

  test('a file replaced by a rename (as editors and config tools save) applies', async () => {
    const { registry, file, dir } = registryOver([isync('alpha')]);
    try {
      const temporary = join(dir, '.connections.json.tmp');
      writeFileSync(temporary, fileText([isync('alpha'), isync('bravo')]));
      renameSync(temporary, file);
      await until('the replaced file to apply', () => ids(registry).length === 2);
      // And again: the watch follows the new file, not the inode it started on.
      writeFileSync(temporary, fileText([isync('charlie')]));
      renameSync(temporary, file);
      await until('the second replacement to apply', () => ids(registry).join() === 'charlie');
    } finally {
      registry.close();
    }
  });

  test('close() stops watching: later changes are not read', async () => {
    const { registry, file } = registryOver([isync('alpha')]);
    registry.close();
    writeFileSync(file, fileText([isync('alpha'), isync('bravo')]));
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.deepEqual(ids(registry), ['alpha']);
  });
});

describe('an activity of a connection that is in the file but invalid', () => {
  test('fails needing a person, naming the field; an unknown one is still "unknown connection"', async () => {
    const { registry } = registryOver([isync('alpha'), isync('bravo', { endpoint: 'not a url' })], { watch: false });
    const deps = {
      connections: () => registry.connections(),
      connectionProblem: (id: string) => registry.problemOf(id)?.message,
    } as unknown as ActivityDeps;
    const activities = createActivities(deps);
    const { credentialsRef: _none, ...profile } = registry.connections()[0]!;
    assert.deepEqual(await activities.describeConnection('alpha'), { ...profile, taskQueue: 'isync' });

    const invalid = await activities.describeConnection('bravo').then(
      () => assert.fail('bravo is invalid'),
      (error: unknown) => error,
    );
    assert.ok(invalid instanceof ApplicationFailure);
    assert.equal(invalid.type, 'DomainValidationError');
    assert.equal(invalid.nonRetryable, true);
    assert.match(invalid.message, /^Connection bravo: endpoint: must be an http\(s\) URL/);

    const unknown = await activities.describeConnection('charlie').then(
      () => assert.fail('charlie is not configured'),
      (error: unknown) => error,
    );
    assert.ok(unknown instanceof ApplicationFailure);
    assert.equal(unknown.type, 'UnknownConnectionError');
  });
});
