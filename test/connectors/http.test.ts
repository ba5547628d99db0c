/** The shared HTTP plumbing and the source factory, without a simulator (a bare local server where one is needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createISyncConnector, createSourceConnector, AuthenticationError, RejectedBySourceError } from '../../connectors';
import { serializeQuery, resourcePath } from '../../connectors/http';
import { rejectsWith } from './helpers';

test('query parameters are form-encoded as in the one real Omni call on record', () => {
  assert.equal(
    serializeQuery({ UserName: 'Guest', Password: '', CompanyName: 'Client  (PTY)LTD', after: null, limit: undefined }),
    'UserName=Guest&Password=&CompanyName=Client++%28PTY%29LTD',
  );
  assert.equal(resourcePath('Sales Order/'), '/Sales%20Order/');
});

test('createSourceConnector chooses by sourceKind', () => {
  const omni = createSourceConnector({ sourceKind: 'omni', endpoint: 'http://127.0.0.1:8080' }, { userName: 'Guest', password: '', companyName: 'X' });
  assert.equal(omni.kind, 'omni');
  const isync = createSourceConnector({ sourceKind: 'isync', endpoint: 'http://127.0.0.1:8081' }, { userName: 'u', password: 'p' });
  assert.equal(isync.kind, 'isync');
  assert.throws(() => createSourceConnector({ sourceKind: 'omni', endpoint: 'http://127.0.0.1:8080' }, { userName: 'u', password: 'p' }));
});

test('iSync: an Error envelope inside a 200 is still an error (login refused → AuthenticationError)', async () => {
  let message = 'Invalid username or password';
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ Result: 'Error', Message: message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const connector = createISyncConnector({ endpoint: `http://127.0.0.1:${port}`, userName: 'u', password: 'pw-123456' });
    const auth = await rejectsWith(connector.ping(), AuthenticationError);
    assert.equal(auth.status, 200);
    message = 'Customer WEB001 is on hold';
    const rejected = await rejectsWith(connector.findOrder('WEB-1'), RejectedBySourceError);
    assert.equal(rejected.sourceMessage, 'Customer WEB001 is on hold');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
