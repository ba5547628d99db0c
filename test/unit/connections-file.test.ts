/**
 * Which connections file a process uses: one rule (`chooseConnectionsFile`) for `npm start`, the
 * workers and the CLI; and the demo connections `npm start` writes for the ports its simulators
 * listen on, so a second stack on other ports syncs from its own simulators.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chooseConnectionsFile,
  connectionsFilePath,
  demoConnectionsPath,
  demoConnectionsText,
  projectRoot,
  readConnectionsText,
  writeDemoConnections,
} from '../../config/config';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project folder of its own, holding the committed demo template. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 's2s-connections-file-'));
  dirs.push(root);
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config', 'connections.demo.json'), readFileSync(join(projectRoot, 'config', 'connections.demo.json')));
  return root;
}

const template = readFileSync(join(projectRoot, 'config', 'connections.demo.json'), 'utf8');

describe('the one rule for the connections file', () => {
  test('CONNECTIONS_FILE first (relative to the project), then config/connections.json, then the demo', () => {
    const root = project();
    assert.deepEqual(chooseConnectionsFile({}, root), { path: join(root, 'config', 'connections.demo.json'), origin: 'demo' });
    writeFileSync(join(root, 'config', 'connections.json'), '{"connections":[]}');
    assert.deepEqual(chooseConnectionsFile({}, root), { path: join(root, 'config', 'connections.json'), origin: 'own' });
    assert.deepEqual(chooseConnectionsFile({ CONNECTIONS_FILE: 'elsewhere/mine.json' }, root), {
      path: join(root, 'elsewhere', 'mine.json'),
      origin: 'CONNECTIONS_FILE',
    });
    assert.deepEqual(chooseConnectionsFile({ CONNECTIONS_FILE: '/etc/s2s/connections.json' }, root).path, '/etc/s2s/connections.json');
    // An empty variable is as good as unset.
    assert.equal(chooseConnectionsFile({ CONNECTIONS_FILE: '' }, root).origin, 'own');
  });

  test("the demo: the copy npm start wrote under DATA_DIR (with its simulators' URLs) once it exists, else the template", () => {
    const root = project();
    const env = { DATA_DIR: 'other-stack' };
    assert.equal(chooseConnectionsFile(env, root).path, join(root, 'config', 'connections.demo.json'));
    const written = writeDemoConnections({ omni: 'http://127.0.0.1:9080', isync: 'http://127.0.0.1:9081' }, env, root);
    assert.equal(written, join(root, 'other-stack', 'connections.demo.json'));
    assert.equal(demoConnectionsPath(env, root), written);
    assert.deepEqual(chooseConnectionsFile(env, root), { path: written, origin: 'demo' });
    // Another data folder has not been written: the template.
    assert.equal(chooseConnectionsFile({ DATA_DIR: 'a-third' }, root).path, join(root, 'config', 'connections.demo.json'));
    // Your own file wins over the demo's copy, and CONNECTIONS_FILE over both.
    writeFileSync(join(root, 'config', 'connections.json'), '{"connections":[]}');
    assert.equal(chooseConnectionsFile(env, root).origin, 'own');
  });

  test('the CLI and the workers take the rule: connectionsFilePath is chooseConnectionsFile(env).path', () => {
    for (const env of [{}, { CONNECTIONS_FILE: 'x.json' }, { DATA_DIR: '/tmp/nowhere-s2s' }]) {
      assert.equal(connectionsFilePath(env), chooseConnectionsFile(env).path);
    }
  });
});

describe("the demo connections follow the simulators' ports", () => {
  test('each connection calls the simulator of its source kind; everything else is the template', () => {
    const text = demoConnectionsText(template, { omni: 'http://127.0.0.1:18080', isync: 'http://127.0.0.1:18081' });
    const built = JSON.parse(text) as { connections: Record<string, unknown>[] };
    const original = JSON.parse(template) as { connections: Record<string, unknown>[] };
    assert.deepEqual(
      built.connections.map((c) => [c.id, c.sourceKind, c.endpoint]),
      [
        ['demo-omni', 'omni', 'http://127.0.0.1:18080'],
        ['demo-isync', 'isync', 'http://127.0.0.1:18081'],
      ],
    );
    assert.deepEqual(
      built.connections.map(({ endpoint: _endpoint, ...rest }) => rest),
      original.connections.map(({ endpoint: _endpoint, ...rest }) => rest),
    );
    // And it is a valid connections file.
    const reading = readConnectionsText('demo', text);
    assert.deepEqual(reading.problems, []);
    assert.deepEqual(
      reading.connections.map((c) => c.endpoint),
      ['http://127.0.0.1:18080', 'http://127.0.0.1:18081'],
    );
  });

  test("the default ports give the committed template's endpoints", () => {
    const built = JSON.parse(demoConnectionsText(template, { omni: 'http://127.0.0.1:8080', isync: 'http://127.0.0.1:8081' }));
    assert.deepEqual(built, JSON.parse(template));
  });
});
